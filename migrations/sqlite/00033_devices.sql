-- The device registry (see the postgres twin).
CREATE TABLE devices (
    tenant_id         TEXT NOT NULL,
    id                TEXT NOT NULL,
    community_id      TEXT NOT NULL,
    building_id       TEXT,
    name              TEXT NOT NULL,
    class             TEXT NOT NULL,
    driver            TEXT NOT NULL,
    place             TEXT NOT NULL DEFAULT '',
    direction         TEXT NOT NULL DEFAULT '' CHECK (direction IN ('', 'in', 'out')),
    config            TEXT NOT NULL DEFAULT '{}',
    secrets_enc       TEXT NOT NULL DEFAULT '',
    token_hash        TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'online', 'offline', 'fault')),
    status_detail     TEXT NOT NULL DEFAULT '',
    last_seen_at      DATETIME,
    status_changed_at DATETIME,
    heartbeat_seconds INTEGER NOT NULL DEFAULT 0 CHECK (heartbeat_seconds >= 0),
    declared          TEXT NOT NULL DEFAULT '',
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX devices_name_idx ON devices (tenant_id, name);
CREATE INDEX devices_driver_idx ON devices (tenant_id, driver);
CREATE INDEX devices_class_idx ON devices (tenant_id, class, community_id);
CREATE INDEX devices_heartbeat_idx ON devices (last_seen_at) WHERE heartbeat_seconds > 0;
