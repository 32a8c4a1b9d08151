-- Data generator for scale, run by bench/run --large N: grows the patients loaded through the API
-- to N patients inside PostgreSQL, because loading 100,000 patients through the API takes days on
-- the benchmark machine. It is NOT an ingest measurement: ingest is measured through the API, by
-- the first size of bench/run. This only makes the tables as big as N patients would make them,
-- so that search latency can be measured at that size.
--
--   psql -v target=N -f bench/grow.sql    (as a superuser, in the benchmark's own database)
--
-- or in parts, as bench/run does, so that two sessions make the copies side by side (see "Parts").
--
-- Input: the table bench_patient (patient_id, careplan_id), filled by bench/run from the loader's
-- ids file: the patients loaded through the API (not the paging patient, not the enrolment probes).
-- Output: N patients in total; the table bench_clone_ids (patient_id, careplan_id) lists every
-- clone, for wrk and the clone check.
--
-- How: copy k (1, 2, ...) of a patient is a copy of every resource of its compartment (the Patient
-- and every resource whose idx_reference rows point at it, AuditEvents left out: they are the
-- trail of real API calls), with its versions and all its rows in the idx_* tables of
-- db/migration/V002. Ids and references are rewritten consistently: the server's ids are UUIDs,
-- and every UUID in res_id, the body text and the index values of copy k gets its first 8 hex
-- digits replaced by k in hex (00000001-...), so copy k of a CarePlan points at copy k of its
-- Patient and Condition. MRN identifiers get a ".k" suffix so they stay unique. Resource keys are
-- the original's plus k times a span above every existing key. Before copying, a check refuses to
-- run if a body to copy holds the id of a resource outside the copied set (the pathway's
-- conformance content: PlanDefinitions, Questionnaires, ...), which is never copied or changed.
--
-- Speed (all set-based INSERT ... SELECT, one transaction per copy): the secondary indexes of the
-- copied tables are dropped and re-created afterwards from their own definitions (a sort-based
-- build instead of 100 times more random index inserts), and foreign-key triggers are skipped
-- (session_replication_role = replica; every copied row's res_key exists by construction).
-- ANALYZE afterwards is bench/run's (VACUUM ANALYZE).

\set ON_ERROR_STOP on
SET session_replication_role = replica;
SET maintenance_work_mem = '512MB';
SET work_mem = '64MB';
SET search_path = public, bench_grow;

-- Parts, so that several sessions can make copies side by side (the 2 cores are shared):
--   -v part=setup -v target=N      the plan, the check, dropping the secondary indexes
--   -v part=copies -v stream=S -v streams=M   copies k with k % M = S
--   -v part=finish                 re-creates the indexes, reports, drops the helpers
\if :{?part}
\else
\set part all
\endif
SELECT :'part' IN ('setup', 'all') AS do_setup, :'part' IN ('copies', 'all') AS do_copies,
       :'part' IN ('finish', 'all') AS do_finish \gset
\if :{?stream}
\else
\set stream 0
\set streams 1
\endif

\if :do_setup
DROP SCHEMA IF EXISTS bench_grow CASCADE;
CREATE SCHEMA bench_grow;
-- The patients to copy, numbered.
CREATE TABLE bench_grow.patient AS
SELECT p.patient_id, p.careplan_id, row_number() OVER (ORDER BY p.patient_id)::int AS ord
FROM bench_patient p JOIN resource r ON r.res_type = 'Patient' AND r.res_id = p.patient_id;
CREATE TABLE bench_grow.settings AS
SELECT (SELECT count(*) FROM bench_grow.patient)::int AS patients,
       :target::int AS target,
       (SELECT max(res_key) FROM resource) + 1 AS span;
SELECT patients, target, span, greatest(0, ceil((target - patients)::numeric / patients))::int AS copies
FROM bench_grow.settings \gset
\echo grow: :patients patients loaded through the API, :copies copies to reach :target (key span :span)

-- Every resource of each patient's compartment, with its patient's number.
CREATE TABLE bench_grow.member AS
SELECT DISTINCT ON (res_key) res_key, ord FROM (
    SELECT r.res_key, p.ord FROM bench_grow.patient p JOIN resource r ON r.res_type = 'Patient' AND r.res_id = p.patient_id
    UNION ALL
    SELECT i.res_key, p.ord FROM bench_grow.patient p
    JOIN idx_reference i ON i.target_type = 'Patient' AND i.target_id = p.patient_id
    JOIN resource r ON r.res_key = i.res_key AND r.res_type <> 'AuditEvent'
) m ORDER BY res_key, ord;
CREATE UNIQUE INDEX ON bench_grow.member (res_key);
CREATE INDEX ON bench_grow.member (ord, res_key);
ANALYZE bench_grow.member;
SELECT count(*) AS members FROM bench_grow.member \gset
\echo grow: :members resources per copy of all patients

-- Copy k of a text: every UUID's first 8 hex digits become k, every MRN gets the suffix .k.
CREATE FUNCTION bench_grow.grow_text(t text, k int) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(
        regexp_replace(t, '[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})',
                       lpad(to_hex(k), 8, '0') || '\1', 'g'),
        '(MRN-[0-9]+)', '\1.' || k, 'g')
$$;

-- Refuse to copy references to anything outside the copied set (conformance content, other
-- patients): those would be rewritten to ids that do not exist.
SELECT count(*) AS outside, coalesce(string_agg(DISTINCT o.res_type || '/' || o.res_id, ', '), '') AS outside_list
FROM (SELECT DISTINCT u[1] AS id
      FROM bench_grow.member m JOIN resource r USING (res_key),
           regexp_matches(r.body::text, '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', 'g') u) ids
JOIN resource o ON o.res_id = ids.id
WHERE o.res_key NOT IN (SELECT res_key FROM bench_grow.member) \gset
SELECT :outside = 0 AS inside \gset
\if :inside
\else
\echo grow: refused: the resources to copy refer to :outside resources outside the copied set: :outside_list
SELECT 1 / 0 AS refused;
\endif

-- Keys of the copies come after every existing key: reserve them first, so the server never
-- takes one of them.
SELECT setval(pg_get_serial_sequence('resource', 'res_key'), span * (:copies + 1)) FROM bench_grow.settings \gset

-- Drop the secondary indexes of the copied tables (constraints stay), re-created by part finish.
CREATE TABLE bench_grow.index AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = 'public'::regnamespace
  AND t.relname IN ('resource', 'resource_version', 'idx_string', 'idx_token', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri')
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid);
SELECT format('DROP INDEX %s', name) FROM bench_grow.index \gexec

-- One copy: every table, set-based. lim is the number of patients copy k takes (the last copy may
-- take fewer, so the total is exactly the target).
CREATE FUNCTION bench_grow.grow_copy(k int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    s bench_grow.settings;
    lim int;
    delta bigint;
    n bigint;
    t0 timestamptz := clock_timestamp();
BEGIN
    SELECT * INTO s FROM bench_grow.settings;
    lim := least(s.patients, s.target - s.patients * k);
    delta := s.span * k;
    CREATE TEMP TABLE IF NOT EXISTS grow_now (res_key bigint PRIMARY KEY);
    TRUNCATE grow_now;
    INSERT INTO grow_now SELECT res_key FROM bench_grow.member WHERE ord <= lim;
    ANALYZE grow_now;

    -- patient_ids (V012) are the patients' UUIDs, rewritten like the bodies
    INSERT INTO resource (res_key, res_type, res_id, version, last_updated, deleted, body, patient_ids) OVERRIDING SYSTEM VALUE
    SELECT r.res_key + delta, r.res_type, bench_grow.grow_text(r.res_id, k), r.version, r.last_updated, r.deleted,
           bench_grow.grow_text(r.body::text, k)::json, bench_grow.grow_text(r.patient_ids::text, k)::text[]
    FROM resource r JOIN grow_now USING (res_key);
    GET DIAGNOSTICS n = ROW_COUNT;
    -- the current version's body is the resource's (already rewritten above); older ones are rewritten
    INSERT INTO resource_version (res_key, version, res_type, res_id, last_updated, deleted, body)
    SELECT v.res_key + delta, v.version, v.res_type, c.res_id, v.last_updated, v.deleted,
           CASE WHEN v.version = r.version AND v.body::text IS NOT DISTINCT FROM r.body::text THEN c.body
                ELSE bench_grow.grow_text(v.body::text, k)::json END
    FROM resource_version v JOIN grow_now USING (res_key)
    JOIN resource r ON r.res_key = v.res_key JOIN resource c ON c.res_key = v.res_key + delta;
    INSERT INTO idx_string (res_key, res_type, param, value, norm)
    SELECT i.res_key + delta, i.res_type, i.param, bench_grow.grow_text(i.value, k), bench_grow.grow_text(i.norm, k)
    FROM idx_string i JOIN grow_now USING (res_key);
    INSERT INTO idx_token (res_key, res_type, param, system, code, display)
    SELECT i.res_key + delta, i.res_type, i.param, i.system, bench_grow.grow_text(i.code, k), i.display
    FROM idx_token i JOIN grow_now USING (res_key);
    INSERT INTO idx_date (res_key, res_type, param, low, high)
    SELECT i.res_key + delta, i.res_type, i.param, i.low, i.high
    FROM idx_date i JOIN grow_now USING (res_key);
    INSERT INTO idx_number (res_key, res_type, param, value)
    SELECT i.res_key + delta, i.res_type, i.param, i.value
    FROM idx_number i JOIN grow_now USING (res_key);
    INSERT INTO idx_quantity (res_key, res_type, param, value, system, code)
    SELECT i.res_key + delta, i.res_type, i.param, i.value, i.system, i.code
    FROM idx_quantity i JOIN grow_now USING (res_key);
    INSERT INTO idx_reference (res_key, res_type, param, target_type, target_id, url)
    SELECT i.res_key + delta, i.res_type, i.param, i.target_type, bench_grow.grow_text(i.target_id, k), bench_grow.grow_text(i.url, k)
    FROM idx_reference i JOIN grow_now USING (res_key);
    INSERT INTO idx_uri (res_key, res_type, param, value)
    SELECT i.res_key + delta, i.res_type, i.param, bench_grow.grow_text(i.value, k)
    FROM idx_uri i JOIN grow_now USING (res_key);
    INSERT INTO bench_clone_ids (patient_id, careplan_id)
    SELECT bench_grow.grow_text(p.patient_id, k), bench_grow.grow_text(p.careplan_id, k) FROM bench_grow.patient p WHERE p.ord <= lim;
    RETURN format('copy %s: %s patients, %s resources in %s s', k, lim, n,
                  round(extract(epoch FROM clock_timestamp() - t0)::numeric, 1));
END $$;

DROP TABLE IF EXISTS bench_clone_ids;
CREATE TABLE bench_clone_ids (patient_id text NOT NULL, careplan_id text);
\endif

\if :do_copies
-- One statement (one transaction) per copy, each printing its line.
SET client_min_messages = warning;
SELECT format('SELECT bench_grow.grow_copy(%s) AS grow', k)
FROM bench_grow.settings, generate_series(1, greatest(0, ceil((target - patients)::numeric / patients))::int) k
WHERE k % :streams = :stream \gexec
\endif

\if :do_finish
\echo grow: re-creating the indexes
\timing on
SELECT def FROM bench_grow.index \gexec
\timing off
SELECT (SELECT count(*) FROM resource r WHERE r.res_type = 'Patient' AND r.res_id IN (SELECT patient_id FROM bench_patient UNION ALL SELECT patient_id FROM bench_clone_ids)) AS total_patients,
       (SELECT count(*) FROM resource) AS total_resources \gset
\echo grow: done: :total_patients patients (loaded and copies), :total_resources resources in all
DROP SCHEMA bench_grow CASCADE;
\endif
