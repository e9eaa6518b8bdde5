-- Plugins' records store (see the postgres twin).
CREATE TABLE plugin_records (
    tenant_id     TEXT NOT NULL,
    plugin        TEXT NOT NULL,
    collection    TEXT NOT NULL,
    id            TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version > 0),
    document      TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, plugin, collection, id)
);

CREATE TABLE plugin_record_fields (
    tenant_id  TEXT NOT NULL,
    plugin     TEXT NOT NULL,
    collection TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT NOT NULL,
    is_unique  BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, plugin, collection, record_id, field)
);
CREATE INDEX plugin_record_fields_value_idx ON plugin_record_fields (tenant_id, plugin, collection, field, value, record_id);
CREATE UNIQUE INDEX plugin_record_fields_unique_idx ON plugin_record_fields (tenant_id, plugin, collection, field, value) WHERE is_unique;
