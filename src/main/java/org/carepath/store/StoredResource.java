package org.carepath.store;

import java.time.Instant;

/**
 * One version of a resource as the database holds it.
 *
 * @param key  compact key of the logical resource; index rows point at it
 * @param json the resource as stored (meta.versionId and meta.lastUpdated included), null if deleted
 */
public record StoredResource(long key, String type, String id, int version, Instant lastUpdated,
                             boolean deleted, String json) {
}
