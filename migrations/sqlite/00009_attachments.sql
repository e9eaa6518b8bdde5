-- Attachments: files owned by one record of a tenant (owner_kind, owner_id).
-- The bytes live in the database on purpose (one backup holds everything);
-- at most 20 MiB per file (attachment.MaxSize) and 50 per owner.

CREATE TABLE attachments (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    owner_kind     TEXT NOT NULL,
    owner_id       TEXT NOT NULL,
    name           TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    data           BLOB NOT NULL,
    uploaded_by_id TEXT,
    uploaded_by    TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    CHECK (size >= 0 AND size <= 20971520)
);
CREATE INDEX attachments_owner_idx ON attachments (tenant_id, owner_kind, owner_id, created_at);
