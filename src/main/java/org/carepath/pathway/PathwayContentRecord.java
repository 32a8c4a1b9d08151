package org.carepath.pathway;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The SQL of the pathway_content_load table: what the pathway content loader left in the store,
 * so that a start with the same content and untouched resources has nothing to compare.
 */
@Repository
class PathwayContentRecord {

    /** One content resource as the loader left it: its packaged file's digest and the version then current. */
    record Entry(String type, String id, String fileDigest, int version, Instant lastUpdated) {

        String key() {
            return type + "/" + id;
        }
    }

    private final NamedParameterJdbcTemplate jdbc;

    PathwayContentRecord(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** The entries of the last load, by type/id. */
    Map<String, Entry> read() {
        Map<String, Entry> entries = new HashMap<>();
        jdbc.query("SELECT res_type, res_id, file_digest, version, last_updated FROM pathway_content_load",
                rs -> {
                    Entry entry = new Entry(rs.getString("res_type"), rs.getString("res_id"), rs.getString("file_digest"),
                            rs.getInt("version"), rs.getTimestamp("last_updated").toInstant());
                    entries.put(entry.key(), entry);
                });
        return entries;
    }

    /** Replaces the record with the entries of this load, in the loader's transaction. */
    void replace(List<Entry> entries) {
        jdbc.update("DELETE FROM pathway_content_load", new MapSqlParameterSource());
        jdbc.update("""
                INSERT INTO pathway_content_load (res_type, res_id, file_digest, version, last_updated)
                SELECT * FROM unnest(CAST(:types AS text[]), CAST(:ids AS text[]), CAST(:digests AS text[]),
                                     CAST(:versions AS integer[]), CAST(:updated AS timestamptz[]))""",
                new MapSqlParameterSource()
                        .addValue("types", entries.stream().map(Entry::type).toArray(String[]::new))
                        .addValue("ids", entries.stream().map(Entry::id).toArray(String[]::new))
                        .addValue("digests", entries.stream().map(Entry::fileDigest).toArray(String[]::new))
                        .addValue("versions", entries.stream().map(Entry::version).toArray(Integer[]::new))
                        .addValue("updated", entries.stream().map(e -> e.lastUpdated().toString()).toArray(String[]::new)));
    }
}
