-- Search index rows, written in the same transaction as the resource they describe and replaced
-- whenever it changes. Every table is keyed by the resource's compact key; res_type and param
-- lead each index so that a search for one parameter of one type reads only its own rows.

CREATE TABLE idx_string (
    res_key  bigint NOT NULL REFERENCES resource (res_key) ON DELETE CASCADE,
    res_type text   NOT NULL,
    param    text   NOT NULL,
    value    text   NOT NULL,   -- as written
    norm     text   NOT NULL    -- lower case, accents removed: the default and :contains matches
);
CREATE INDEX idx_string_norm_idx ON idx_string (res_type, param, norm text_pattern_ops);
CREATE INDEX idx_string_key_idx ON idx_string (res_key);

CREATE TABLE idx_token (
    res_key  bigint NOT NULL REFERENCES resource (res_key) ON DELETE CASCADE,
    res_type text   NOT NULL,
    param    text   NOT NULL,
    system   text,
    code     text,
    display  text                -- normalised display or text, for :text
);
CREATE INDEX idx_token_code_idx ON idx_token (res_type, param, code, system);
CREATE INDEX idx_token_key_idx ON idx_token (res_key);

-- A date is the range it covers: 2024-05 covers the whole of May. Open ends are +-infinity.
CREATE TABLE idx_date (
    res_key  bigint      NOT NULL REFERENCES resource (res_key) ON DELETE CASCADE,
    res_type text        NOT NULL,
    param    text        NOT NULL,
    low      timestamptz NOT NULL,
    high     timestamptz NOT NULL
);
CREATE INDEX idx_date_low_idx ON idx_date (res_type, param, low, high);
CREATE INDEX idx_date_key_idx ON idx_date (res_key);

CREATE TABLE idx_number (
    res_key  bigint  NOT NULL REFERENCES resource (res_key) ON DELETE CASCADE,
    res_type text    NOT NULL,
    param    text    NOT NULL,
    value    numeric NOT NULL
);
CREATE INDEX idx_number_value_idx ON idx_number (res_type, param, value);
CREATE INDEX idx_number_key_idx ON idx_number (res_key);

CREATE TABLE idx_quantity (
    res_key  bigint  NOT NULL REFERENCES resource (res_key) ON DELETE CASCADE,
    res_type text    NOT NULL,
    param    text    NOT NULL,
    value    numeric NOT NULL,
    system   text,
    code     text                -- the coded unit, else the unit as written
);
CREATE INDEX idx_quantity_value_idx ON idx_quantity (res_type, param, value);
CREATE INDEX idx_quantity_key_idx ON idx_quantity (res_key);

-- target_type/target_id for local references; url for absolute and canonical ones.
CREATE TABLE idx_reference (
    res_key     bigint NOT NULL REFERENCES resource (res_key) ON DELETE CASCADE,
    res_type    text   NOT NULL,
    param       text   NOT NULL,
    target_type text,
    target_id   text,
    url         text
);
CREATE INDEX idx_reference_target_idx ON idx_reference (res_type, param, target_id, target_type);
CREATE INDEX idx_reference_url_idx ON idx_reference (res_type, param, url) WHERE url IS NOT NULL;
-- _revinclude and compartment lookups go from the target back to the sources.
CREATE INDEX idx_reference_back_idx ON idx_reference (target_type, target_id);
CREATE INDEX idx_reference_key_idx ON idx_reference (res_key);

CREATE TABLE idx_uri (
    res_key  bigint NOT NULL REFERENCES resource (res_key) ON DELETE CASCADE,
    res_type text   NOT NULL,
    param    text   NOT NULL,
    value    text   NOT NULL
);
CREATE INDEX idx_uri_value_idx ON idx_uri (res_type, param, value text_pattern_ops);
CREATE INDEX idx_uri_key_idx ON idx_uri (res_key);

-- Live resources by type in key order: the scan behind an unfiltered type search and paging.
CREATE INDEX resource_type_live_idx ON resource (res_type, res_key) WHERE NOT deleted;
CREATE INDEX resource_type_updated_idx ON resource (res_type, last_updated) WHERE NOT deleted;
