package org.carepath.store;

import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Keeps the search index in step with the stored resources. The store calls it inside the write
 * transaction, so a resource and its index rows commit together or not at all.
 */
public interface ResourceIndexer {

    /** Replaces the index rows of the resource with those of its new content. */
    void index(long key, String type, IBaseResource resource);

    /** Removes every index row of a deleted resource. */
    void remove(long key);
}
