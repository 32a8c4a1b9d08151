-- What the pathway content loader left in the store at its last run, one row per content resource:
-- the digest of its packaged file and the version (number and time) that was current when the
-- loader wrote it or found it unchanged. A start that finds every digest the same and every
-- version still current skips reading, decoding and comparing the content; any other row (edited
-- or deleted through the API since, or new packaged content) is compared in full again.
CREATE TABLE pathway_content_load (
    res_type     text        NOT NULL,
    res_id       text        NOT NULL,
    file_digest  text        NOT NULL,
    version      integer     NOT NULL,
    last_updated timestamptz NOT NULL,
    PRIMARY KEY (res_type, res_id)
);
