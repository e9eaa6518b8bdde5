-- Device events: the log, the plugins' cursors and skipped deliveries (see the postgres twin).
CREATE TABLE device_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    type        TEXT NOT NULL,
    occurred_at DATETIME NOT NULL,
    received_at DATETIME NOT NULL,
    dedup_key   TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL,
    picture_id  TEXT
);
CREATE UNIQUE INDEX device_events_id_idx ON device_events (tenant_id, id);
CREATE UNIQUE INDEX device_events_key_idx ON device_events (tenant_id, device_id, type, dedup_key) WHERE dedup_key <> '';
CREATE INDEX device_events_tenant_seq_idx ON device_events (tenant_id, seq);
CREATE INDEX device_events_received_idx ON device_events (received_at);

CREATE TABLE device_event_cursors (
    tenant_id  TEXT NOT NULL,
    plugin     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, plugin)
);

CREATE TABLE device_event_failures (
    tenant_id  TEXT NOT NULL,
    plugin     TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    type       TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    error      TEXT NOT NULL DEFAULT '',
    failed_at  DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, plugin, event_id)
);
