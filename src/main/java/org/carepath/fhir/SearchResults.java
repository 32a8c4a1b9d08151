package org.carepath.fhir;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.valueset.BundleEntrySearchModeEnum;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.carepath.CarePathProperties;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.TransactionRunner;
import org.carepath.search.Cursor;
import org.carepath.search.ResourceSearch;
import org.carepath.search.SearchRequest;
import org.carepath.store.ResourceStore;
import org.carepath.store.StoredResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.springframework.stereotype.Component;

/**
 * Runs searches (type-level, system-level, $everything) for the REST API and for GET entries of
 * Bundles. Pages are keyset pages: a link carries the query and the position after the last row
 * shown, so page 400 costs what page 1 costs and rows written meanwhile are neither repeated nor
 * skipped.
 */
@Component
class SearchResults {

    private final ResourceSearch search;
    private final ResourceStore store;
    private final ResourceInteractions interactions;
    private final TransactionRunner transactions;
    private final int defaultPageSize;
    private final int maxPageSize;

    SearchResults(ResourceSearch search, ResourceStore store, ResourceInteractions interactions,
                  TransactionRunner transactions, CarePathProperties properties) {
        this.search = search;
        this.store = store;
        this.interactions = interactions;
        this.transactions = transactions;
        this.defaultPageSize = properties.fhir().defaultPageSize();
        this.maxPageSize = properties.fhir().maxPageSize();
    }

    IBundleProvider search(String type, RequestDetails request) {
        return search(type, queryOf(request), isStrict(request), StoredJsonResponses.resourcesFor(request, interactions));
    }

    /** A search for a Bundle's GET entry: its resources are parsed. */
    IBundleProvider search(String type, Map<String, List<String>> query, boolean strict) {
        return search(type, query, strict, interactions::decode);
    }

    private IBundleProvider search(String type, Map<String, List<String>> query, boolean strict,
                                   Function<StoredResource, IBaseResource> resources) {
        SearchRequest parsed = search.parse(type, query);
        requireKnown(parsed, type, strict);
        return new Page(Kind.SEARCH, type, query, parsed, null, pageSize(query), resources);
    }

    /** A system-level search: {@code GET [base]?_type=...&_lastUpdated=...}. */
    IBundleProvider searchSystem(RequestDetails request) {
        return searchSystem(queryOf(request), isStrict(request), StoredJsonResponses.resourcesFor(request, interactions));
    }

    /** A system-level search for a Bundle's GET entry: its resources are parsed. */
    IBundleProvider searchSystem(Map<String, List<String>> query, boolean strict) {
        return searchSystem(query, strict, interactions::decode);
    }

    private IBundleProvider searchSystem(Map<String, List<String>> query, boolean strict,
                                         Function<StoredResource, IBaseResource> resources) {
        SearchRequest parsed = search.parseSystem(query);
        requireKnown(parsed, "a system-level search", strict);
        return new Page(Kind.SYSTEM, "", query, parsed, null, pageSize(query), resources);
    }

    /**
     * Patient/$everything, for one patient or (id null) all of them; the query holds the
     * operation's parameters (_since, _type, _count) as text.
     */
    IBundleProvider everything(String patientId, Map<String, List<String>> query, List<String> unknown,
                               RequestDetails http) {
        SearchRequest parsed = search.everything(patientId, query);
        parsed = new SearchRequest(parsed.types(), parsed.criteria(), parsed.sort(), parsed.includes(), parsed.total(),
                unknown);
        requireKnown(parsed, "$everything", isStrict(http));
        return new Page(Kind.EVERYTHING, patientId == null ? "" : patientId, query, parsed, null, pageSize(query),
                StoredJsonResponses.resourcesFor(http, interactions));
    }

    /**
     * A later page, from the page id in its link: the kind of search, the cursor, what is
     * searched (the type, or the patient of $everything), then the query's pairs.
     */
    IBundleProvider page(String pageId, RequestDetails http) {
        String[] parts = PageIds.decode(pageId);
        Kind kind = Kind.of(parts[0]);
        if (parts.length < 3 || kind == null) {
            throw new InvalidRequestException("Unknown or malformed page link");
        }
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (int i = 3; i + 1 < parts.length; i += 2) {
            query.computeIfAbsent(parts[i], k -> new ArrayList<>()).add(parts[i + 1]);
        }
        String head = parts[2];
        SearchRequest request = switch (kind) {
            case SEARCH -> search.parse(head, query);
            case SYSTEM -> search.parseSystem(query);
            case EVERYTHING -> search.everything(head.isEmpty() ? null : head, query);
        };
        String[] position = parts[1].split("\\|", 2); // the cursor, then the total the first page counted
        Page page = new Page(kind, head, query, request, Cursor.decode(position[0]), pageSize(query),
                StoredJsonResponses.resourcesFor(http, interactions));
        if (position.length > 1) {
            page.size = carriedTotal(position[1]);
        }
        return page;
    }

    private static Integer carriedTotal(String text) {
        try {
            int total = Integer.parseInt(text);
            if (total < 0) {
                throw new NumberFormatException();
            }
            return total;
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("Unknown or malformed page link");
        }
    }

    private static Map<String, List<String>> queryOf(RequestDetails request) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        request.getParameters().forEach((name, values) -> query.put(name, List.of(values)));
        return query;
    }

    private static void requireKnown(SearchRequest parsed, String searched, boolean strict) {
        if (strict && !parsed.unknown().isEmpty()) {
            throw new InvalidRequestException("Unknown parameter(s) for " + searched + ": "
                    + String.join(", ", parsed.unknown()));
        }
    }

    /** What a page id rebuilds: a type-level search, a system-level search, or $everything. */
    private enum Kind {
        SEARCH("search"), SYSTEM("system"), EVERYTHING("everything");

        private final String code;

        Kind(String code) {
            this.code = code;
        }

        static Kind of(String code) {
            for (Kind kind : values()) {
                if (kind.code.equals(code)) {
                    return kind;
                }
            }
            return null;
        }
    }

    private int pageSize(Map<String, List<String>> query) {
        List<String> counts = query.get("_count");
        if (counts == null || counts.isEmpty()) {
            return defaultPageSize;
        }
        try {
            int count = Integer.parseInt(counts.get(0));
            if (count < 0) {
                throw new NumberFormatException();
            }
            return Math.min(count, maxPageSize);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("_count must be a whole number of 0 or more, not '" + counts.get(0) + "'");
        }
    }

    static boolean isStrict(RequestDetails request) {
        String prefer = request.getHeader("Prefer");
        return prefer != null && prefer.replace(" ", "").contains("handling=strict");
    }

    private record Loaded(ResourceSearch.Page keys, List<StoredResource> matches, List<StoredResource> included) { }

    /** One page of one search. */
    private final class Page implements IBundleProvider {
        private final Kind kind;
        private final String head;
        private final Map<String, List<String>> query;
        private final SearchRequest request;
        private final Cursor cursor;
        private final int count;
        private final Date published = new Date();
        private Loaded rows;
        private Integer size;
        private String nextPageId;
        private String previousPageId;
        /** Parses the rows, or leaves them unparsed for an answer made of their stored text. */
        private final Function<StoredResource, IBaseResource> resources;

        Page(Kind kind, String head, Map<String, List<String>> query, SearchRequest request, Cursor cursor, int count,
             Function<StoredResource, IBaseResource> resources) {
            this.resources = resources;
            this.kind = kind;
            this.head = head;
            this.query = query;
            this.request = request;
            this.cursor = cursor;
            this.count = count;
        }

        private final String uuid = java.util.UUID.randomUUID().toString();

        /**
         * A link's page id: where the page starts, the total counted for the first page (so that
         * later pages of a large search need not count again: their total is the search's as
         * first counted), and the whole query, so any replica can serve it.
         */
        private String pageId(Cursor at) {
            List<String> parts = new ArrayList<>();
            parts.add(size == null ? at.encode() : at.encode() + "|" + size); // cursors escape '|'
            parts.add(head);
            query.forEach((name, values) -> values.forEach(v -> {
                parts.add(name);
                parts.add(v);
            }));
            return PageIds.encode(kind.code, parts.toArray(String[]::new));
        }

        @Override
        public IPrimitiveType<Date> getPublished() {
            return new InstantType(published);
        }

        /** The page's rows, read once: {@link #size} may need them before HAPI asks for the resources. */
        private Loaded rows() {
            if (rows == null) {
                rows = transactions.read(() -> {
                    ResourceSearch.Page keys = search.page(request, cursor, count);
                    List<StoredResource> matches = store.findLive(keys.keys());
                    return new Loaded(keys, matches, store.findLive(search.included(request, matches)));
                });
            }
            return rows;
        }

        @Override
        public List<IBaseResource> getResources(int from, int to) {
            List<IBaseResource> page = new ArrayList<>();
            if (count == 0) {
                return page;
            }
            Loaded rows = rows();
            for (StoredResource row : rows.matches()) {
                IBaseResource resource = resources.apply(row);
                ResourceMetadataKeyEnum.ENTRY_SEARCH_MODE.put(resource, BundleEntrySearchModeEnum.MATCH);
                page.add(resource);
            }
            for (StoredResource row : rows.included()) {
                IBaseResource resource = resources.apply(row);
                ResourceMetadataKeyEnum.ENTRY_SEARCH_MODE.put(resource, BundleEntrySearchModeEnum.INCLUDE);
                page.add(resource);
            }
            links(rows.keys());
            if (cursor == null && !request.unknown().isEmpty()) {
                OperationOutcome warning = new OperationOutcome();
                warning.addIssue().setSeverity(OperationOutcome.IssueSeverity.WARNING)
                        .setCode(OperationOutcome.IssueType.NOTSUPPORTED)
                        .setDiagnostics("Ignored unknown search parameter(s): " + String.join(", ", request.unknown()));
                ResourceMetadataKeyEnum.ENTRY_SEARCH_MODE.put(warning, BundleEntrySearchModeEnum.OUTCOME);
                page.add(warning);
            }
            return page;
        }

        /** Cursors just past the last row (next) and just before the first (previous). */
        private void links(ResourceSearch.Page edges) {
            int last = edges.keys().size() - 1;
            if (last < 0) {
                return;
            }
            boolean backward = cursor != null && cursor.backward();
            boolean hasNext = backward || edges.more();
            boolean hasPrevious = backward ? edges.more() : cursor != null;
            if (hasNext) {
                nextPageId = pageId(new Cursor(false, edges.sortValues().get(last), edges.keys().get(last)));
            }
            if (hasPrevious) {
                previousPageId = pageId(new Cursor(true, edges.sortValues().get(0), edges.keys().get(0)));
            }
        }

        @Override
        public String getCurrentPageId() {
            return cursor == null ? "first" : pageId(cursor);
        }

        @Override
        public String getNextPageId() {
            return nextPageId;
        }

        @Override
        public String getPreviousPageId() {
            return previousPageId;
        }

        @Override
        public String getUuid() {
            return uuid;
        }

        @Override
        public Integer preferredPageSize() {
            return count;
        }

        @Override
        public Integer size() {
            if (size == null && request.total() != SearchRequest.Total.NONE) {
                // A first page that holds every match has counted them: most pathway searches
                // (one patient's plans, tasks, alerts) save the count query.
                Loaded first = count > 0 && cursor == null ? rows() : null;
                size = first != null && !first.keys().more()
                        ? first.matches().size() : transactions.read(() -> search.count(request));
            }
            return size;
        }
    }

    static String searchIdOf(IBundleProvider provider) {
        return provider instanceof Page page ? page.getUuid() : null;
    }
}
