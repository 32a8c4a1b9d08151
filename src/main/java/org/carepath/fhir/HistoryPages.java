package org.carepath.fhir;

import java.time.Instant;
import java.util.Date;
import java.util.List;

import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.valueset.BundleEntryTransactionMethodEnum;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.param.DateRangeParam;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.store.HistoryQuery;
import org.carepath.store.StoredResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.InstantType;

/**
 * A _history result, newest first. Its upper time bound is fixed when the first page is made,
 * so later writes do not shift the pages a client is walking through.
 */
final class HistoryPages implements IBundleProvider {

    private final ResourceInteractions interactions;
    private final HistoryQuery query;
    private Integer size;

    private HistoryPages(ResourceInteractions interactions, HistoryQuery query) {
        this.interactions = interactions;
        this.query = query;
    }

    static HistoryPages of(ResourceInteractions interactions, String type, String id, InstantType since,
                           DateRangeParam at) {
        Instant from = since != null && since.getValue() != null ? since.getValue().toInstant() : null;
        Instant until = Instant.now();
        if (at != null && at.getUpperBoundAsInstant() != null && at.getUpperBoundAsInstant().toInstant().isBefore(until)) {
            until = at.getUpperBoundAsInstant().toInstant();
        }
        if (at != null && at.getLowerBoundAsInstant() != null) {
            Instant low = at.getLowerBoundAsInstant().toInstant();
            from = from == null || low.isAfter(from) ? low : from;
        }
        return new HistoryPages(interactions, new HistoryQuery(type, id, from, until));
    }

    static HistoryPages fromPageId(ResourceInteractions interactions, String[] parts) {
        return new HistoryPages(interactions, new HistoryQuery(blankToNull(parts[1]), blankToNull(parts[2]),
                parts[3].isEmpty() ? null : Instant.parse(parts[3]), Instant.parse(parts[4])));
    }

    String pageId() {
        return PageIds.encode("history", nullToBlank(query.type()), nullToBlank(query.id()),
                query.since() == null ? "" : query.since().toString(), query.until().toString());
    }

    @Override
    public IPrimitiveType<Date> getPublished() {
        return new InstantType(Date.from(query.until()));
    }

    @Override
    public List<IBaseResource> getResources(int fromIndex, int toIndex) {
        return interactions.history(query, fromIndex, toIndex - fromIndex).stream().map(this::entry).toList();
    }

    private IBaseResource entry(StoredResource row) {
        IBaseResource resource;
        if (row.deleted()) {
            resource = interactions.newInstance(row.type());
            resource.setId(new IdType(row.type(), row.id(), Integer.toString(row.version())));
            resource.getMeta().setLastUpdated(Date.from(row.lastUpdated()));
            ResourceMetadataKeyEnum.ENTRY_TRANSACTION_METHOD.put(resource, BundleEntryTransactionMethodEnum.DELETE);
        } else {
            resource = interactions.decode(row);
            ResourceMetadataKeyEnum.ENTRY_TRANSACTION_METHOD.put(resource,
                    row.version() == 1 ? BundleEntryTransactionMethodEnum.POST : BundleEntryTransactionMethodEnum.PUT);
        }
        return resource;
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
            size = interactions.countHistory(query);
        }
        return size;
    }

    private static String blankToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static String nullToBlank(String s) {
        return s == null ? "" : s;
    }
}
