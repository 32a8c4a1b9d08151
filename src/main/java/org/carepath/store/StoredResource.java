package org.carepath.store;

import java.time.Instant;

/**
 * One version of a resource as the database holds it.
 *
 * @param key  compact key of the logical resource; index rows point at it
 * @param json the resource as stored (meta.versionId and meta.lastUpdated included), null if deleted
 * @param patientIds the patients whose compartment holds this version, as written with it; null
 *                   where not known (older versions, deleted rows, rows written before V012)
 */
public record StoredResource(long key, String type, String id, int version, Instant lastUpdated,
                             boolean deleted, String json, java.util.List<String> patientIds) {
}
