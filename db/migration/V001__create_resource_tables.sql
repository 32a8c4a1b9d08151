-- Resources and their history. One row per logical resource holds the current version, so a read
-- by type and id is one index lookup and one row; resource_version keeps every version, current
-- included, for vread and _history.
CREATE TABLE resource (
    res_key      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    res_type     text        NOT NULL,
    res_id       text        NOT NULL,
    version      integer     NOT NULL,
    last_updated timestamptz NOT NULL,
    deleted      boolean     NOT NULL DEFAULT false,
    body         jsonb,      -- null while deleted
    CONSTRAINT resource_type_id_key UNIQUE (res_type, res_id)
);

CREATE TABLE resource_version (
    res_key      bigint      NOT NULL REFERENCES resource (res_key),
    version      integer     NOT NULL,
    res_type     text        NOT NULL,
    res_id       text        NOT NULL,
    last_updated timestamptz NOT NULL,
    deleted      boolean     NOT NULL,
    body         jsonb,
    PRIMARY KEY (res_key, version)
);

-- Type and system history are ordered by time.
CREATE INDEX resource_version_type_updated_idx ON resource_version (res_type, last_updated);
CREATE INDEX resource_version_updated_idx ON resource_version (last_updated);
