package org.carepath.search;

import java.sql.Timestamp;
import java.util.List;
import java.util.function.Function;

import org.carepath.store.ResourceIndexer;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.core.namedparam.SqlParameterSource;
import org.springframework.stereotype.Repository;

/** The SQL that writes the idx_* tables: one delete round trip, then one batch per table. */
@Repository
class IndexWriter implements ResourceIndexer {

    private final NamedParameterJdbcTemplate jdbc;
    private final IndexExtractor extractor;

    IndexWriter(NamedParameterJdbcTemplate jdbc, IndexExtractor extractor) {
        this.jdbc = jdbc;
        this.extractor = extractor;
    }

    @Override
    public void index(long key, String type, IBaseResource resource, boolean replace) {
        if (replace) {
            remove(key);
        }
        IndexRows rows = extractor.extract(type, resource);
        insert("INSERT INTO idx_string (res_key, res_type, param, value, norm) VALUES (:key, :type, :param, :value, :norm)",
                rows.strings, key, type, r -> new MapSqlParameterSource("param", r.param())
                        .addValue("value", r.value()).addValue("norm", r.norm()));
        insert("INSERT INTO idx_token (res_key, res_type, param, system, code, display) VALUES (:key, :type, :param, :system, :code, :display)",
                rows.tokens, key, type, r -> new MapSqlParameterSource("param", r.param())
                        .addValue("system", r.system()).addValue("code", r.code()).addValue("display", r.display()));
        insert("INSERT INTO idx_date (res_key, res_type, param, low, high) VALUES (:key, :type, :param, :low, :high)",
                rows.dates, key, type, r -> new MapSqlParameterSource("param", r.param())
                        .addValue("low", Timestamp.from(r.low())).addValue("high", Timestamp.from(r.high())));
        insert("INSERT INTO idx_number (res_key, res_type, param, value) VALUES (:key, :type, :param, :value)",
                rows.numbers, key, type, r -> new MapSqlParameterSource("param", r.param()).addValue("value", r.value()));
        insert("INSERT INTO idx_quantity (res_key, res_type, param, value, system, code) VALUES (:key, :type, :param, :value, :system, :code)",
                rows.quantities, key, type, r -> new MapSqlParameterSource("param", r.param())
                        .addValue("value", r.value()).addValue("system", r.system()).addValue("code", r.code()));
        insert("INSERT INTO idx_reference (res_key, res_type, param, target_type, target_id, url) VALUES (:key, :type, :param, :targetType, :targetId, :url)",
                rows.references, key, type, r -> new MapSqlParameterSource("param", r.param())
                        .addValue("targetType", r.targetType()).addValue("targetId", r.targetId()).addValue("url", r.url()));
        insert("INSERT INTO idx_uri (res_key, res_type, param, value) VALUES (:key, :type, :param, :value)",
                rows.uris, key, type, r -> new MapSqlParameterSource("param", r.param()).addValue("value", r.value()));
    }

    @Override
    public void remove(long key) {
        jdbc.query("""
                WITH s AS (DELETE FROM idx_string WHERE res_key = :key),
                     t AS (DELETE FROM idx_token WHERE res_key = :key),
                     d AS (DELETE FROM idx_date WHERE res_key = :key),
                     n AS (DELETE FROM idx_number WHERE res_key = :key),
                     q AS (DELETE FROM idx_quantity WHERE res_key = :key),
                     r AS (DELETE FROM idx_reference WHERE res_key = :key),
                     u AS (DELETE FROM idx_uri WHERE res_key = :key)
                SELECT 1""", new MapSqlParameterSource("key", key), rs -> null);
    }

    private <T> void insert(String sql, List<T> rows, long key, String type,
                            Function<T, MapSqlParameterSource> values) {
        if (rows.isEmpty()) {
            return;
        }
        SqlParameterSource[] batch = rows.stream()
                .map(r -> values.apply(r).addValue("key", key).addValue("type", type))
                .toArray(SqlParameterSource[]::new);
        jdbc.batchUpdate(sql, batch);
    }
}
