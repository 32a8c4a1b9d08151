package org.carepath.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The SQL of the resource and resource_version tables. Callers run it inside a transaction; the
 * store itself knows nothing of FHIR semantics beyond type, id and version.
 */
@Repository
public class ResourceStore {

    private static final String COLUMNS = "res_key, res_type, res_id, version, last_updated, deleted, body::text AS body, patient_ids";

    private final NamedParameterJdbcTemplate jdbc;

    public ResourceStore(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** The current version, deleted or not. */
    public Optional<StoredResource> find(String type, String id) {
        return one("SELECT " + COLUMNS + " FROM resource WHERE res_type = :type AND res_id = :id",
                new MapSqlParameterSource("type", type).addValue("id", id));
    }

    /** The current version, locked until the transaction ends: the base of every version check. */
    public Optional<StoredResource> findForUpdate(String type, String id) {
        return one("SELECT " + COLUMNS + " FROM resource WHERE res_type = :type AND res_id = :id FOR UPDATE",
                new MapSqlParameterSource("type", type).addValue("id", id));
    }

    public Optional<StoredResource> findVersion(String type, String id, int version) {
        return one("""
                SELECT res_key, res_type, res_id, version, last_updated, deleted, body::text AS body,
                       NULL::text[] AS patient_ids
                FROM resource_version
                WHERE res_key = (SELECT res_key FROM resource WHERE res_type = :type AND res_id = :id)
                  AND version = :version""",
                new MapSqlParameterSource("type", type).addValue("id", id).addValue("version", version));
    }

    /** The version a resource is at, and whether that version is a deletion. */
    public record CurrentVersion(String type, String id, int version, Instant lastUpdated, boolean deleted) {
    }

    /**
     * The current versions of the resources named by type and id (pairs at the same index), without
     * their bodies; those that do not exist are left out. One round trip.
     */
    public List<CurrentVersion> currentVersions(List<String> types, List<String> ids) {
        return jdbc.query("""
                SELECT r.res_type, r.res_id, r.version, r.last_updated, r.deleted
                FROM unnest(CAST(:types AS text[]), CAST(:ids AS text[])) AS n (t, i)
                JOIN resource r ON r.res_type = n.t AND r.res_id = n.i""",
                new MapSqlParameterSource("types", types.toArray(String[]::new)).addValue("ids", ids.toArray(String[]::new)),
                (rs, n) -> new CurrentVersion(rs.getString("res_type"), rs.getString("res_id"), rs.getInt("version"),
                        rs.getTimestamp("last_updated").toInstant(), rs.getBoolean("deleted")));
    }

    /** Current, live versions by key, in the order of the keys given. */
    public List<StoredResource> findLive(Collection<Long> keys) {
        if (keys.isEmpty()) {
            return List.of();
        }
        List<StoredResource> rows = jdbc.query(
                "SELECT " + COLUMNS + " FROM resource WHERE res_key IN (:keys) AND NOT deleted",
                new MapSqlParameterSource("keys", keys), ResourceStore::row);
        var byKey = new java.util.HashMap<Long, StoredResource>();
        rows.forEach(r -> byKey.put(r.key(), r));
        return keys.stream().map(byKey::get).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * Inserts version 1 of a new resource, unless one with this type and id exists already (a
     * concurrent writer may have won): then returns empty and writes nothing. One round trip for
     * the resource row and its first version.
     */
    public Optional<Long> insertIfAbsent(NewResource resource) {
        return Optional.ofNullable(insertNew(List.of(resource)).get(0));
    }

    /** A new resource: its first version, and the patients whose compartment holds it. */
    public record NewResource(String type, String id, Instant lastUpdated, String json, List<String> patientIds) {
    }

    /**
     * Inserts version 1 of many new resources in one round trip, e.g. a batch of AuditEvents with
     * server-assigned ids. Fails (duplicate key) if any of them exists already, so the caller's
     * transaction writes all or none.
     *
     * @return the keys, in the order of the resources given
     */
    public List<Long> insertAll(List<NewResource> resources) {
        List<Long> keys = insertNew(resources);
        if (keys.contains(null)) {
            throw new org.springframework.dao.DuplicateKeyException("A resource to create exists already: "
                    + resources.get(keys.indexOf(null)).type() + "/" + resources.get(keys.indexOf(null)).id());
        }
        return keys;
    }

    /** Rows and first versions of the resources that do not exist yet; the key of each, null where one existed. */
    private List<Long> insertNew(List<NewResource> resources) {
        if (resources.isEmpty()) {
            return List.of();
        }
        var params = new MapSqlParameterSource()
                .addValue("types", resources.stream().map(NewResource::type).toArray(String[]::new))
                .addValue("ids", resources.stream().map(NewResource::id).toArray(String[]::new))
                .addValue("updated", resources.stream().map(r -> r.lastUpdated().toString()).toArray(String[]::new))
                .addValue("bodies", resources.stream().map(NewResource::json).toArray(String[]::new))
                // one text per row (an array of arrays would be unnested flat): a JSON array of ids
                .addValue("patients", resources.stream().map(r -> jsonArray(r.patientIds())).toArray(String[]::new));
        var keyOf = new java.util.HashMap<String, Long>();
        jdbc.query("""
                WITH r AS (INSERT INTO resource (res_type, res_id, version, last_updated, deleted, body, patient_ids)
                           SELECT t, i, 1, u, false, CAST(b AS json), ARRAY(SELECT json_array_elements_text(CAST(p AS json)))
                           FROM unnest(CAST(:types AS text[]), CAST(:ids AS text[]), CAST(:updated AS timestamptz[]),
                                       CAST(:bodies AS text[]), CAST(:patients AS text[])) AS n (t, i, u, b, p)
                           ON CONFLICT (res_type, res_id) DO NOTHING
                           RETURNING res_key, res_type, res_id, last_updated, body),
                     v AS (INSERT INTO resource_version (res_key, version, res_type, res_id, last_updated, deleted, body)
                           SELECT res_key, 1, res_type, res_id, last_updated, false, body FROM r)
                SELECT res_key, res_type, res_id FROM r""", params,
                rs -> {
                    keyOf.put(rs.getString("res_type") + "/" + rs.getString("res_id"), rs.getLong("res_key"));
                });
        List<Long> keys = new java.util.ArrayList<>();
        for (NewResource resource : resources) { // one given twice is written once: the second gets null
            keys.add(keyOf.remove(resource.type() + "/" + resource.id()));
        }
        return keys;
    }

    /** Writes a new current version of a row the caller has locked with {@link #findForUpdate}; one round trip. */
    public void update(StoredResource current, int version, Instant lastUpdated, String json, List<String> patientIds) {
        jdbc.update("""
                WITH r AS (UPDATE resource SET version = :version, last_updated = :updated, deleted = false,
                                               body = CAST(:body AS json), patient_ids = CAST(:patients AS text[])
                           WHERE res_key = :key
                           RETURNING res_key, version, res_type, res_id, last_updated, body)
                INSERT INTO resource_version (res_key, version, res_type, res_id, last_updated, deleted, body)
                SELECT res_key, version, res_type, res_id, last_updated, false, body FROM r""",
                new MapSqlParameterSource("key", current.key()).addValue("version", version)
                        .addValue("updated", Timestamp.from(lastUpdated)).addValue("body", json)
                        .addValue("patients", patientIds.toArray(String[]::new)));
    }

    /** Records a deletion as a new version without a body; one round trip. */
    public void markDeleted(StoredResource current, int version, Instant lastUpdated) {
        jdbc.update("""
                WITH r AS (UPDATE resource SET version = :version, last_updated = :updated, deleted = true, body = NULL,
                                               patient_ids = NULL
                           WHERE res_key = :key
                           RETURNING res_key, version, res_type, res_id, last_updated)
                INSERT INTO resource_version (res_key, version, res_type, res_id, last_updated, deleted, body)
                SELECT res_key, version, res_type, res_id, last_updated, true, NULL FROM r""",
                new MapSqlParameterSource("key", current.key()).addValue("version", version)
                        .addValue("updated", Timestamp.from(lastUpdated)));
    }

    /**
     * Takes a lock on a name until the transaction ends: serialises writers that must see each
     * other's result, such as two conditional creates with the same criteria.
     */
    public void lockName(String name) {
        jdbc.query("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))",
                new MapSqlParameterSource("name", name), rs -> null);
    }

    /** Number of versions a history query matches. */
    public int countHistory(HistoryQuery query) {
        var params = new MapSqlParameterSource();
        Integer count = jdbc.queryForObject("SELECT count(*) FROM resource_version v" + historyWhere(query, params),
                params, Integer.class);
        return count == null ? 0 : count;
    }

    /** One page of a history query, newest first. */
    public List<StoredResource> history(HistoryQuery query, int offset, int limit) {
        var params = new MapSqlParameterSource("offset", offset).addValue("limit", limit);
        return jdbc.query("""
                SELECT v.res_key, v.res_type, v.res_id, v.version, v.last_updated, v.deleted, v.body::text AS body,
                       NULL::text[] AS patient_ids
                FROM resource_version v""" + historyWhere(query, params) + """
                 ORDER BY v.last_updated DESC, v.res_key DESC, v.version DESC
                OFFSET :offset LIMIT :limit""", params, ResourceStore::row);
    }

    private static String historyWhere(HistoryQuery query, MapSqlParameterSource params) {
        var where = new StringBuilder(" WHERE true");
        if (query.id() != null) {
            where.append(" AND v.res_key = (SELECT res_key FROM resource WHERE res_type = :type AND res_id = :id)");
            params.addValue("type", query.type()).addValue("id", query.id());
        } else if (query.type() != null) {
            where.append(" AND v.res_type = :type");
            params.addValue("type", query.type());
        }
        if (query.since() != null) {
            where.append(" AND v.last_updated >= :since");
            params.addValue("since", Timestamp.from(query.since()));
        }
        if (query.until() != null) {
            where.append(" AND v.last_updated <= :until");
            params.addValue("until", Timestamp.from(query.until()));
        }
        return where.toString();
    }

    private Optional<StoredResource> one(String sql, MapSqlParameterSource params) {
        return jdbc.query(sql, params, ResourceStore::row).stream().findFirst();
    }

    static StoredResource row(ResultSet rs, int rowNum) throws SQLException {
        java.sql.Array patients = rs.getArray("patient_ids");
        return new StoredResource(rs.getLong("res_key"), rs.getString("res_type"), rs.getString("res_id"),
                rs.getInt("version"), rs.getTimestamp("last_updated").toInstant(), rs.getBoolean("deleted"),
                rs.getString("body"), patients == null ? null : List.of((String[]) patients.getArray()));
    }

    private static String jsonArray(List<String> values) {
        var encoder = com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance();
        StringBuilder json = new StringBuilder("[");
        for (String value : values) {
            json.append(json.length() > 1 ? ",\"" : "\"").append(encoder.quoteAsString(value)).append('"');
        }
        return json.append(']').toString();
    }
}
