package org.carepath.store;

import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Keeps the search index in step with the stored resources. The store calls it inside the write
 * transaction, so a resource and its index rows commit together or not at all.
 */
public interface ResourceIndexer {

    /**
     * Writes the index rows of the resource's content.
     *
     * @param replace whether rows of an earlier version may exist (false for a new resource: saves
     *                a delete round trip per write)
     */
    void index(long key, String type, IBaseResource resource, boolean replace);

    /** Writes the index rows of many new resources at once (one round trip for all of them). */
    void indexAll(java.util.List<Written> resources);

    /** A resource just stored under {@code key}, to be indexed. */
    record Written(long key, String type, IBaseResource resource) {
    }

    /** Removes every index row of a deleted resource. */
    void remove(long key);
}
