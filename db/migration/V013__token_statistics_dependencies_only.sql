-- The token statistics of V005 keep functional dependencies only, no MCV list.
--
-- An MCV list over (res_type, param, code, system) holds the ~100 most common combinations in
-- ANALYZE's sample; every read writes an AuditEvent with ~9 token rows, so as the audit trail grows
-- the combinations of the rarer types fall out of it. PostgreSQL then estimates such a combination
-- as if its columns were independent: Flag/status/active (324 rows, 976,000 token rows in all) at
-- 1 row, as selective as a patient's own references, and the Flag search drove from every active
-- Flag (2.5-10 ms instead of 0.05 ms). The dependencies (code -> param, code -> res_type, ...) scale
-- each column's own statistics instead: estimates within about 2x for every pathway value, the
-- rare ones overestimated rather than underestimated, which keeps the searches driven by the
-- patient's rows; and planning no longer decompresses and scans the MCV list for every index
-- path it costs. The reference statistics keep their MCV list: url is null in most rows, so its
-- dependencies are weak, and the questionnaire url needs the list. Measured in docs/performance.md,
-- "Search planning (session 16)".
DROP STATISTICS idx_token_code_stats;
CREATE STATISTICS idx_token_code_stats (dependencies) ON res_type, param, code, system FROM idx_token;
ANALYZE idx_token;
