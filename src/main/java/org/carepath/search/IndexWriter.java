package org.carepath.search;

import java.util.ArrayList;
import java.util.List;

import org.carepath.store.ResourceIndexer;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The SQL that writes the idx_* tables. The rows of every table, for one resource or many, go in
 * one statement (one round trip): each table's columns are sent as arrays and unnested. The
 * statement's text does not depend on the number of rows, so the driver prepares it once per
 * connection.
 */
@Repository
class IndexWriter implements ResourceIndexer {

    private static final String INSERT = """
            WITH s AS (INSERT INTO idx_string (res_key, res_type, param, value, norm)
                       SELECT * FROM unnest(CAST(:sKey AS bigint[]), CAST(:sType AS text[]), CAST(:sParam AS text[]),
                                            CAST(:sValue AS text[]), CAST(:sNorm AS text[]))),
                 t AS (INSERT INTO idx_token (res_key, res_type, param, system, code, display)
                       SELECT * FROM unnest(CAST(:tKey AS bigint[]), CAST(:tType AS text[]), CAST(:tParam AS text[]),
                                            CAST(:tSystem AS text[]), CAST(:tCode AS text[]), CAST(:tDisplay AS text[]))),
                 d AS (INSERT INTO idx_date (res_key, res_type, param, low, high)
                       SELECT * FROM unnest(CAST(:dKey AS bigint[]), CAST(:dType AS text[]), CAST(:dParam AS text[]),
                                            CAST(:dLow AS timestamptz[]), CAST(:dHigh AS timestamptz[]))),
                 n AS (INSERT INTO idx_number (res_key, res_type, param, value)
                       SELECT * FROM unnest(CAST(:nKey AS bigint[]), CAST(:nType AS text[]), CAST(:nParam AS text[]),
                                            CAST(:nValue AS numeric[]))),
                 q AS (INSERT INTO idx_quantity (res_key, res_type, param, value, system, code)
                       SELECT * FROM unnest(CAST(:qKey AS bigint[]), CAST(:qType AS text[]), CAST(:qParam AS text[]),
                                            CAST(:qValue AS numeric[]), CAST(:qSystem AS text[]), CAST(:qCode AS text[]))),
                 r AS (INSERT INTO idx_reference (res_key, res_type, param, target_type, target_id, url)
                       SELECT * FROM unnest(CAST(:rKey AS bigint[]), CAST(:rType AS text[]), CAST(:rParam AS text[]),
                                            CAST(:rTargetType AS text[]), CAST(:rTargetId AS text[]), CAST(:rUrl AS text[]))),
                 u AS (INSERT INTO idx_uri (res_key, res_type, param, value)
                       SELECT * FROM unnest(CAST(:uKey AS bigint[]), CAST(:uType AS text[]), CAST(:uParam AS text[]),
                                            CAST(:uValue AS text[])))
            SELECT 1""";

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
        indexAll(List.of(new Written(key, type, resource)));
    }

    @Override
    public void indexAll(List<Written> resources) {
        Columns s = new Columns(3), t = new Columns(4), d = new Columns(3), n = new Columns(2),
                q = new Columns(4), r = new Columns(4), u = new Columns(2);
        for (Written written : resources) {
            long key = written.key();
            String type = written.type();
            IndexRows rows = extractor.extract(type, written.resource());
            rows.strings.forEach(x -> s.add(key, type, x.param(), x.value(), x.norm()));
            rows.tokens.forEach(x -> t.add(key, type, x.param(), x.system(), x.code(), x.display()));
            rows.dates.forEach(x -> d.add(key, type, x.param(), x.low().toString(), x.high().toString()));
            rows.numbers.forEach(x -> n.add(key, type, x.param(), x.value().toString()));
            rows.quantities.forEach(x -> q.add(key, type, x.param(), x.value().toString(), x.system(), x.code()));
            rows.references.forEach(x -> r.add(key, type, x.param(), x.targetType(), x.targetId(), x.url()));
            rows.uris.forEach(x -> u.add(key, type, x.param(), x.value()));
        }
        if (s.isEmpty() && t.isEmpty() && d.isEmpty() && n.isEmpty() && q.isEmpty() && r.isEmpty() && u.isEmpty()) {
            return;
        }
        var params = new MapSqlParameterSource();
        s.bind(params, "s", "Param", "Value", "Norm");
        t.bind(params, "t", "Param", "System", "Code", "Display");
        d.bind(params, "d", "Param", "Low", "High");
        n.bind(params, "n", "Param", "Value");
        q.bind(params, "q", "Param", "Value", "System", "Code");
        r.bind(params, "r", "Param", "TargetType", "TargetId", "Url");
        u.bind(params, "u", "Param", "Value");
        jdbc.query(INSERT, params, rs -> null);
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

    /**
     * One table's rows as columns: the key, the resource type, then the table's own columns as
     * text (timestamps and numbers in their ISO and plain forms; the statement casts them).
     */
    private static final class Columns {
        final List<Long> keys = new ArrayList<>();
        final List<String> types = new ArrayList<>();
        final List<List<String>> values = new ArrayList<>();

        Columns(int columns) {
            for (int i = 0; i < columns; i++) {
                values.add(new ArrayList<>());
            }
        }

        void add(long key, String type, String... row) {
            keys.add(key);
            types.add(type);
            for (int i = 0; i < row.length; i++) {
                values.get(i).add(row[i]);
            }
        }

        boolean isEmpty() {
            return keys.isEmpty();
        }

        void bind(MapSqlParameterSource params, String table, String... columns) {
            params.addValue(table + "Key", keys.toArray(Long[]::new));
            params.addValue(table + "Type", types.toArray(String[]::new));
            for (int i = 0; i < columns.length; i++) {
                params.addValue(table + columns[i], values.get(i).toArray(String[]::new));
            }
        }
    }
}
