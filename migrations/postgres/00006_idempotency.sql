-- Answers to creating POSTs sent with an Idempotency-Key, kept so that a retry
-- replays the first answer instead of creating twice. Operators' keys live
-- under the nil tenant and are reached through store.Platform.
CREATE TABLE idempotency_keys (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    actor_id     uuid NOT NULL,
    key          text NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    body_hash    text NOT NULL,
    status       integer NOT NULL DEFAULT 0, -- 0 while the first request is in flight
    response     text NOT NULL DEFAULT '',
    content_type text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (tenant_id, actor_id, key);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));
