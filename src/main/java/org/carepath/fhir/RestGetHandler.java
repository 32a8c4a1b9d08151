package org.carepath.fhir;

import java.util.List;

import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.carepath.CarePathProperties;
import org.carepath.interaction.BundleGetHandler;
import org.carepath.interaction.ResourceInteractions;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.stereotype.Component;

/** GET entries of batch and transaction Bundles: read, vread and search, as over REST. */
@Component
class RestGetHandler implements BundleGetHandler {

    private final ResourceInteractions interactions;
    private final SearchResults searches;
    private final int pageSize;

    RestGetHandler(ResourceInteractions interactions, SearchResults searches, CarePathProperties properties) {
        this.interactions = interactions;
        this.searches = searches;
        this.pageSize = properties.fhir().defaultPageSize();
    }

    @Override
    public IBaseResource get(String url) {
        int question = url.indexOf('?');
        String path = question >= 0 ? url.substring(0, question) : url;
        String[] parts = path.split("/");
        if (question >= 0 || parts.length == 1) {
            return searchset(parts[0], question >= 0 ? url.substring(question + 1) : "");
        }
        if (parts.length == 2) {
            return interactions.read(parts[0], parts[1]);
        }
        if (parts.length == 4 && parts[2].equals("_history")) {
            return interactions.vread(parts[0], parts[1], parts[3]);
        }
        throw new InvalidRequestException("Unsupported GET in a Bundle: " + url);
    }

    /** A type-level search, or a system-level one for an empty type ({@code ?_type=...}). */
    private Bundle searchset(String type, String query) {
        var parsed = org.carepath.search.QueryStrings.parse(query);
        IBundleProvider results = type.isEmpty() ? searches.searchSystem(parsed, false) : searches.search(type, parsed, false);
        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        bundle.setTotal(results.size());
        List<IBaseResource> page = results.getResources(0, pageSize);
        page.forEach(r -> bundle.addEntry().setResource((Resource) r)
                .setFullUrl(r.getIdElement().toUnqualifiedVersionless().getValue()));
        return bundle;
    }
}
