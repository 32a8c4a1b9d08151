package org.carepath.fhir;

import ca.uhn.fhir.rest.annotation.At;
import ca.uhn.fhir.rest.annotation.History;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Since;
import ca.uhn.fhir.rest.annotation.Transaction;
import ca.uhn.fhir.rest.annotation.TransactionParam;
import ca.uhn.fhir.rest.api.PreferReturnEnum;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.server.RestfulServerUtils;
import org.carepath.interaction.BundleInteractions;
import org.carepath.interaction.ResourceInteractions;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.InstantType;

/**
 * System-level interactions: batch/transaction Bundles, the history of the whole server, and
 * search across types.
 */
class SystemProvider {

    private final BundleInteractions bundles;
    private final ResourceInteractions interactions;
    private final SearchResults searches;
    private final int maxPageSize;

    SystemProvider(BundleInteractions bundles, ResourceInteractions interactions, SearchResults searches,
                   int maxPageSize) {
        this.maxPageSize = maxPageSize;
        this.bundles = bundles;
        this.interactions = interactions;
        this.searches = searches;
    }

    @Transaction
    public Bundle transaction(@TransactionParam Bundle bundle, RequestDetails request) {
        var prefer = RestfulServerUtils.parsePreferHeader(null, request.getHeader("Prefer")).getReturn();
        return bundles.process(bundle, prefer == null ? PreferReturnEnum.REPRESENTATION : prefer);
    }

    @History
    public IBundleProvider historySystem(@Since InstantType since, @At DateRangeParam at,
                                           RequestDetails request) {
        return HistoryPages.of(interactions, null, null, since, at, request, maxPageSize);
    }

    /** {@code GET [base]?_type=CarePlan,Task&_lastUpdated=gt...} and {@code POST [base]/_search}. */
    @Search(allowUnknownParams = true)
    public IBundleProvider searchSystem(RequestDetails request) {
        return searches.searchSystem(request);
    }
}
