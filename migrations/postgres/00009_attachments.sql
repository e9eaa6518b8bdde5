-- Attachments: files (manuals, warranty scans, certificates, photos) owned by
-- one record of a tenant, named by owner_kind ("asset", later work orders and
-- residents) and owner_id. The bytes live in the database on purpose: one
-- backup holds everything and RLS isolates files like every other row. Files
-- are at most 20 MiB (attachment.MaxSize) and 50 per owner.

CREATE TABLE attachments (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    owner_kind     text NOT NULL,
    owner_id       uuid NOT NULL,
    name           text NOT NULL,
    content_type   text NOT NULL,
    size           bigint NOT NULL,
    sha256         text NOT NULL,
    data           bytea NOT NULL,
    uploaded_by_id uuid,
    uploaded_by    text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (size >= 0 AND size <= 20971520)
);
CREATE INDEX attachments_owner_idx ON attachments (tenant_id, owner_kind, owner_id, created_at);

-- Files are mostly compressed already (PDF, JPEG, PNG, Office zips): store
-- them out of line uncompressed, which also lets substr() fetch only the
-- TOAST chunks of one slice when a download streams.
ALTER TABLE attachments ALTER COLUMN data SET STORAGE EXTERNAL;

ALTER TABLE attachments ENABLE ROW LEVEL SECURITY;
ALTER TABLE attachments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON attachments USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));
