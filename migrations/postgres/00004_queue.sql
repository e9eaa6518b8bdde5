-- Transactional outbox: a task is written here in the same transaction as the
-- change that causes it; the relay moves it to Redis. tenant_id is the nil
-- uuid for platform tasks (only store.Platform can see those).
CREATE TABLE outbox (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    type       text NOT NULL,
    payload    text NOT NULL DEFAULT '{}',
    queue      text NOT NULL DEFAULT 'default',
    run_at     timestamptz NOT NULL,
    unique_key text,
    job_id     uuid,
    max_retry  integer NOT NULL DEFAULT 10,
    state      text NOT NULL DEFAULT 'pending', -- pending, sent, done, dead
    sends      integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    sent_at    timestamptz,
    done_at    timestamptz,
    PRIMARY KEY (tenant_id, id)
);
-- The relay's fair pick reads only pending rows, per queue, tenant by tenant.
CREATE INDEX outbox_pending ON outbox (queue, tenant_id, id) WHERE state = 'pending';
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE state = 'sent';
CREATE INDEX outbox_finished ON outbox (updated_at) WHERE state IN ('done', 'dead');
CREATE UNIQUE INDEX outbox_unique_key ON outbox (tenant_id, type, unique_key) WHERE unique_key IS NOT NULL;
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));

-- Claimed slots of periodic schedules: the primary key makes two processes
-- agree on who runs a slot. Platform table, no tenant.
CREATE TABLE schedule_runs (
    name       text NOT NULL,
    slot_at    timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (name, slot_at)
);

-- Background jobs whose progress the API can poll.
CREATE TABLE jobs (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    kind       text NOT NULL,
    state      text NOT NULL DEFAULT 'queued', -- queued, running, succeeded, failed
    done       bigint NOT NULL DEFAULT 0,
    total      bigint NOT NULL DEFAULT 0,
    message    text NOT NULL DEFAULT '',
    result     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));
