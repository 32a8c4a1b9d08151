package org.carepath.monitoring;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.carepath.interaction.ResourceInteractions;
import org.carepath.search.ResourceSearch;
import org.carepath.store.ResourceStore;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.stereotype.Component;

/** Searches the store inside the current transaction, so the write being evaluated is seen. */
@Component
class Lookup {

    private final ResourceSearch search;
    private final ResourceStore store;
    private final ResourceInteractions interactions;

    Lookup(ResourceSearch search, ResourceStore store, ResourceInteractions interactions) {
        this.search = search;
        this.store = store;
        this.interactions = interactions;
    }

    /** Live resources matching a search (in the search's sort order), at most {@code limit}. */
    <T extends IBaseResource> List<T> find(Class<T> type, String criteria, int limit) {
        return store.findLive(search.findKeys(type.getSimpleName(), criteria, limit)).stream()
                .map(row -> type.cast(interactions.decode(row))).toList();
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
