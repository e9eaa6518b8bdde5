CREATE TABLE outbox (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL DEFAULT '{}',
    queue      TEXT NOT NULL DEFAULT 'default',
    run_at     DATETIME NOT NULL,
    unique_key TEXT,
    job_id     TEXT,
    max_retry  INTEGER NOT NULL DEFAULT 10,
    state      TEXT NOT NULL DEFAULT 'pending',
    sends      INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    sent_at    DATETIME,
    done_at    DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_pending ON outbox (queue, tenant_id, id) WHERE state = 'pending';
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE state = 'sent';
CREATE INDEX outbox_finished ON outbox (updated_at) WHERE state IN ('done', 'dead');
CREATE UNIQUE INDEX outbox_unique_key ON outbox (tenant_id, type, unique_key) WHERE unique_key IS NOT NULL;

CREATE TABLE schedule_runs (
    name       TEXT NOT NULL,
    slot_at    DATETIME NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (name, slot_at)
);

CREATE TABLE jobs (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'queued',
    done       INTEGER NOT NULL DEFAULT 0,
    total      INTEGER NOT NULL DEFAULT 0,
    message    TEXT NOT NULL DEFAULT '',
    result     TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
