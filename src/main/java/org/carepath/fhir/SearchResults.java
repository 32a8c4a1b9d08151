package org.carepath.fhir;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.valueset.BundleEntrySearchModeEnum;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.interaction.TransactionRunner;
import org.carepath.search.ResourceSearch;
import org.carepath.search.ResourceSearch.ParsedSearch;
import org.carepath.store.ResourceStore;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.springframework.stereotype.Component;

/** Runs type-level searches for the REST API and for GET entries of Bundles. */
@Component
class SearchResults {

    private final ResourceSearch search;
    private final ResourceStore store;
    private final ResourceInteractions interactions;
    private final TransactionRunner transactions;

    SearchResults(ResourceSearch search, ResourceStore store, ResourceInteractions interactions,
                  TransactionRunner transactions) {
        this.search = search;
        this.store = store;
        this.interactions = interactions;
        this.transactions = transactions;
    }

    IBundleProvider search(String type, RequestDetails request) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        request.getParameters().forEach((name, values) -> query.put(name, List.of(values)));
        return search(type, query, isStrict(request));
    }

    IBundleProvider search(String type, Map<String, List<String>> query, boolean strict) {
        ParsedSearch parsed = search.parse(type, query);
        if (strict && !parsed.unknown().isEmpty()) {
            throw new InvalidRequestException("Unknown search parameter(s) for " + type + ": "
                    + String.join(", ", parsed.unknown()));
        }
        return new Page(type, query, parsed);
    }

    IBundleProvider fromPageId(String[] parts) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        for (int i = 2; i + 1 < parts.length; i += 2) {
            query.computeIfAbsent(parts[i], k -> new ArrayList<>()).add(parts[i + 1]);
        }
        return search(parts[1], query, false);
    }

    private static boolean isStrict(RequestDetails request) {
        String prefer = request.getHeader("Prefer");
        return prefer != null && prefer.replace(" ", "").contains("handling=strict");
    }

    /** One search's results, fetched a page at a time. */
    private final class Page implements IBundleProvider {
        private final String type;
        private final Map<String, List<String>> query;
        private final ParsedSearch parsed;
        private final Date published = new Date();
        private Integer size;

        Page(String type, Map<String, List<String>> query, ParsedSearch parsed) {
            this.type = type;
            this.query = query;
            this.parsed = parsed;
        }

        String pageId() {
            List<String> parts = new ArrayList<>();
            parts.add(type);
            query.forEach((name, values) -> values.forEach(v -> {
                parts.add(name);
                parts.add(v);
            }));
            return PageIds.encode("search", parts.toArray(String[]::new));
        }

        @Override
        public IPrimitiveType<Date> getPublished() {
            return new InstantType(published);
        }

        @Override
        public List<IBaseResource> getResources(int from, int to) {
            List<IBaseResource> page = new ArrayList<>(transactions.read(() ->
                    store.findLive(search.page(parsed, from, to - from))).stream().map(interactions::decode).toList());
            if (from == 0 && !parsed.unknown().isEmpty()) {
                OperationOutcome warning = new OperationOutcome();
                warning.addIssue().setSeverity(OperationOutcome.IssueSeverity.WARNING)
                        .setCode(OperationOutcome.IssueType.NOTSUPPORTED)
                        .setDiagnostics("Ignored unknown search parameter(s): " + String.join(", ", parsed.unknown()));
                ResourceMetadataKeyEnum.ENTRY_SEARCH_MODE.put(warning, BundleEntrySearchModeEnum.OUTCOME);
                page.add(warning);
            }
            return page;
        }

        @Override
        public String getUuid() {
            return null;
        }

        @Override
        public Integer preferredPageSize() {
            return null;
        }

        @Override
        public Integer size() {
            if (size == null) {
                size = transactions.read(() -> search.count(parsed));
            }
            return size;
        }
    }

    static String pageIdOf(IBundleProvider provider) {
        return provider instanceof Page page ? page.pageId() : null;
    }
}
