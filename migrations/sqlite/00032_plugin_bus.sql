-- The plugin bus: published events' keys, one-off tasks and periodic slots
-- (see the postgres twin).
CREATE TABLE plugin_events (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    plugin     TEXT NOT NULL,
    key        TEXT NOT NULL,
    type       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX plugin_events_key_idx ON plugin_events (tenant_id, plugin, key);
CREATE INDEX plugin_events_created_idx ON plugin_events (created_at);

CREATE TABLE plugin_tasks (
    tenant_id  TEXT NOT NULL,
    plugin     TEXT NOT NULL,
    key        TEXT NOT NULL,
    token      TEXT NOT NULL,
    name       TEXT NOT NULL,
    payload    TEXT NOT NULL DEFAULT '{}',
    run_at     DATETIME NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, plugin, key)
);

CREATE TABLE plugin_task_slots (
    tenant_id  TEXT NOT NULL,
    plugin     TEXT NOT NULL,
    name       TEXT NOT NULL,
    slot_at    DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, plugin, name)
);
