package org.carepath.fhir;

import java.time.Instant;
import java.util.Date;
import java.util.List;

import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import ca.uhn.fhir.model.valueset.BundleEntryTransactionMethodEnum;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.DateRangeParam;
import org.carepath.interaction.ResourceInteractions;
import org.carepath.store.HistoryQuery;
import org.carepath.store.StoredResource;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.InstantType;

/**
 * A _history result, newest first. Its upper time bound is fixed when the first page is made
 * (and carried in the page links, see {@link HistoryLinks}), so later writes do not shift the
 * pages a client is walking through.
 */
final class HistoryPages implements IBundleProvider {

    private final ResourceInteractions interactions;
    private final HistoryQuery query;
    private final int offset;
    private final int maxPageSize;
    private Integer size;

    private HistoryPages(ResourceInteractions interactions, HistoryQuery query, int offset, int maxPageSize) {
        this.interactions = interactions;
        this.query = query;
        this.offset = offset;
        this.maxPageSize = maxPageSize;
    }

    /** The history the request asks for, from its {@code _offset} on (HAPI pages history by offset). */
    static HistoryPages of(ResourceInteractions interactions, String type, String id, InstantType since,
                           DateRangeParam at, RequestDetails request, int maxPageSize) {
        String[] offsets = request.getParameters().get("_offset");
        int offset = 0;
        if (offsets != null && offsets.length > 0) {
            try {
                offset = Math.max(0, Integer.parseInt(offsets[0]));
            } catch (NumberFormatException e) {
                throw new ca.uhn.fhir.rest.server.exceptions.InvalidRequestException(
                        "_offset must be a whole number, not '" + offsets[0] + "'");
            }
        }
        Instant from = since != null && since.getValue() != null ? since.getValue().toInstant() : null;
        Instant until = Instant.now();
        if (at != null && at.getUpperBoundAsInstant() != null && at.getUpperBoundAsInstant().toInstant().isBefore(until)) {
            until = at.getUpperBoundAsInstant().toInstant();
        }
        if (at != null && at.getLowerBoundAsInstant() != null) {
            Instant low = at.getLowerBoundAsInstant().toInstant();
            from = from == null || low.isAfter(from) ? low : from;
        }
        return new HistoryPages(interactions, new HistoryQuery(type, id, from, until), offset, maxPageSize);
    }

    @Override
    public IPrimitiveType<Date> getPublished() {
        return new InstantType(Date.from(query.until()));
    }

    @Override
    public List<IBaseResource> getResources(int fromIndex, int toIndex) {
        int count = Math.min(toIndex - fromIndex, maxPageSize);
        return interactions.history(query, offset + fromIndex, count).stream().map(this::entry).toList();
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
}
