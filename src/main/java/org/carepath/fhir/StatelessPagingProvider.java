package org.carepath.fhir;

import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.IPagingProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;

/**
 * HAPI's hook for search page links. Instead of keeping result sets in memory, a link's page id
 * holds the query and the keyset position, so pages survive restarts and work across replicas.
 */
class StatelessPagingProvider implements IPagingProvider {

    private final int defaultPageSize;
    private final int maximumPageSize;
    private final SearchResults searches;

    StatelessPagingProvider(int defaultPageSize, int maximumPageSize, SearchResults searches) {
        this.defaultPageSize = defaultPageSize;
        this.maximumPageSize = maximumPageSize;
        this.searches = searches;
    }

    @Override
    public int getDefaultPageSize() {
        return defaultPageSize;
    }

    @Override
    public int getMaximumPageSize() {
        return maximumPageSize;
    }

    @Override
    public String storeResultList(RequestDetails request, IBundleProvider results) {
        return SearchResults.searchIdOf(results);
    }

    /** Links without a page id are not made by this server. */
    @Override
    public IBundleProvider retrieveResultList(RequestDetails request, String searchId) {
        throw new InvalidRequestException("Unknown or malformed page link");
    }

    @Override
    public IBundleProvider retrieveResultList(RequestDetails request, String searchId, String pageId) {
        try {
            return searches.page(pageId, request);
        } catch (InvalidRequestException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidRequestException("Unknown or malformed page link");
        }
    }
}
