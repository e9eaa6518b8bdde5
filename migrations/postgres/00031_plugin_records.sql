-- Plugins' records store (core/records): collections of JSON documents a
-- plugin keeps through Host.PutRecord, one row per document, under the
-- tenant's row-level security like any other tenant data. The document is
-- text, kept byte for byte as the plugin sent it (jsonb would reorder keys).
-- Times are unix milliseconds: the contract speaks them, and a query's
-- keyset cursor compares them exactly on both engines.
CREATE TABLE plugin_records (
    tenant_id     uuid NOT NULL,
    plugin        text NOT NULL,
    collection    text NOT NULL,
    id            text COLLATE "C" NOT NULL,
    version       bigint NOT NULL CHECK (version > 0),
    document      text NOT NULL,
    created_at_ms bigint NOT NULL,
    updated_at_ms bigint NOT NULL,
    PRIMARY KEY (tenant_id, plugin, collection, id)
);

-- The declared indexed fields of each document, one row per (record, field),
-- the value encoded so that text order is value order within its type
-- ("s:" strings, "n:" numbers as order-preserving hex, "b:" booleans):
-- one column and one index answer eq, in, ranges, prefixes and the sort on
-- both engines. COLLATE "C" makes the comparison bytewise, as SQLite's is.
CREATE TABLE plugin_record_fields (
    tenant_id  uuid NOT NULL,
    plugin     text NOT NULL,
    collection text NOT NULL,
    record_id  text NOT NULL,
    field      text NOT NULL,
    value      text COLLATE "C" NOT NULL,
    is_unique  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, plugin, collection, record_id, field)
);
CREATE INDEX plugin_record_fields_value_idx ON plugin_record_fields (tenant_id, plugin, collection, field, value, record_id);
-- A unique field: two records of a collection never hold the same value, also
-- under concurrent writes (the second insert waits for the first and fails).
CREATE UNIQUE INDEX plugin_record_fields_unique_idx ON plugin_record_fields (tenant_id, plugin, collection, field, value) WHERE is_unique;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['plugin_records','plugin_record_fields'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
