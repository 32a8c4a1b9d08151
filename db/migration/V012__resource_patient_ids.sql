-- The current version's patients: the ids of the patients whose compartment (R4's Patient
-- compartment, as HAPI's terser walks it) holds the resource, written with each version; empty for
-- a resource in no patient's compartment, null for a deleted resource and for rows written before
-- this migration (until their next version). The audit trail names these patients for every read
-- and search, and had to parse every body it sent to find them: 16-20 % of a read's CPU, plus
-- 4-5 % for the walk (docs/performance.md, "Reads and audit writes (session 15)"). With them kept
-- beside the body, a plain JSON read is answered with the stored text without parsing it.
-- Recomputed only when a version is written: a HAPI upgrade that changed the compartment's
-- definition would leave older rows as they were written.
ALTER TABLE resource ADD COLUMN patient_ids text[];
