package org.carepath.fhir;

import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.IPagingProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;

/**
 * HAPI's hook for search page links. Instead of keeping result sets in memory, the link's id
 * describes the query itself, so pages survive restarts and work across replicas.
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
        return SearchResults.pageIdOf(results);
    }

    @Override
    public IBundleProvider retrieveResultList(RequestDetails request, String pageId) {
        String[] parts = PageIds.decode(pageId);
        try {
            return switch (parts[0]) {
                case "search" -> searches.fromPageId(parts);
                default -> throw new InvalidRequestException("Unknown or malformed page link");
            };
        } catch (RuntimeException e) {
            if (e instanceof InvalidRequestException) {
                throw e;
            }
            throw new InvalidRequestException("Unknown or malformed page link");
        }
    }
}
