-- Index rows and versions no longer carry a foreign key to their resource row. Only the server
-- writes them, in the transaction that writes the resource row whose generated res_key they
-- carry, and no resource row is ever deleted (a delete marks the row deleted and removes its index
-- rows in the same transaction), so the keys guarded nothing the writes do not already ensure.
-- Each row's check cost a lookup of the resource row: it doubled the cost of writing index rows
-- (measured: 180,000 token rows in batches of 90, 3.6 s with the key, 1.8-2.3 s without), and
-- every request on patient data writes an AuditEvent with about 15 index rows and a version
-- (docs/performance.md, "Reads and audit writes (session 15)").
ALTER TABLE resource_version DROP CONSTRAINT resource_version_res_key_fkey;
ALTER TABLE idx_string DROP CONSTRAINT idx_string_res_key_fkey;
ALTER TABLE idx_token DROP CONSTRAINT idx_token_res_key_fkey;
ALTER TABLE idx_date DROP CONSTRAINT idx_date_res_key_fkey;
ALTER TABLE idx_number DROP CONSTRAINT idx_number_res_key_fkey;
ALTER TABLE idx_quantity DROP CONSTRAINT idx_quantity_res_key_fkey;
ALTER TABLE idx_reference DROP CONSTRAINT idx_reference_res_key_fkey;
ALTER TABLE idx_uri DROP CONSTRAINT idx_uri_res_key_fkey;
