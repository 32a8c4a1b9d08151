-- Resource bodies are kept as the JSON text the server encoded (type json), no longer as jsonb.
-- No query looks inside a body (search reads the idx_* tables), so jsonb's binary form bought
-- nothing, and cost twice: a conversion on every write and another on every read, and the loss
-- of HAPI's element order (jsonb sorts keys by length). With the text kept as written, a plain
-- JSON read is answered with the stored bytes, without parsing and encoding again
-- (docs/performance.md, "Reads"). json still refuses text that is not JSON.
-- Rows written before this migration keep jsonb's key order until their next version.
ALTER TABLE resource ALTER COLUMN body TYPE json USING body::json;
ALTER TABLE resource_version ALTER COLUMN body TYPE json USING body::json;
