-- See postgres/00006_idempotency.sql.
CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    key          TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    response     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (tenant_id, actor_id, key);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
