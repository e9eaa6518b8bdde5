-- Patrol routes, checkpoints, rounds and their points (see the postgres twin).
CREATE TABLE patrol_routes (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    community_id   TEXT NOT NULL,
    name           TEXT NOT NULL,
    times          TEXT NOT NULL DEFAULT '[]',
    weekdays       TEXT NOT NULL DEFAULT '[]',
    window_minutes INTEGER NOT NULL CHECK (window_minutes BETWEEN 5 AND 720),
    late_minutes   INTEGER NOT NULL DEFAULT 0 CHECK (late_minutes BETWEEN 0 AND 240),
    guard_ids      TEXT NOT NULL DEFAULT '[]',
    active         BOOLEAN NOT NULL DEFAULT 1,
    created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE patrol_checkpoints (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    route_id         TEXT NOT NULL,
    position         INTEGER NOT NULL,
    name             TEXT NOT NULL,
    location_kind    TEXT NOT NULL DEFAULT 'text',
    location_id      TEXT,
    location_text    TEXT NOT NULL DEFAULT '',
    token            TEXT NOT NULL,
    token_rotated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX patrol_checkpoints_route_idx ON patrol_checkpoints (tenant_id, route_id, position);
-- A scan names its checkpoint by token alone.
CREATE UNIQUE INDEX patrol_checkpoints_token_idx ON patrol_checkpoints (tenant_id, token);

CREATE TABLE patrol_rounds (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    route_id       TEXT NOT NULL,
    community_id   TEXT NOT NULL,
    slot_start     DATETIME NOT NULL,
    closes_at      DATETIME NOT NULL,
    late_until     DATETIME NOT NULL,
    status         TEXT NOT NULL DEFAULT 'scheduled',
    guard_id       TEXT,
    guard_name     TEXT NOT NULL DEFAULT '',
    points_total   INTEGER NOT NULL DEFAULT 0,
    points_checked INTEGER NOT NULL DEFAULT 0,
    points_late    INTEGER NOT NULL DEFAULT 0,
    points_missed  INTEGER NOT NULL DEFAULT 0,
    closed_at      DATETIME,
    created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
-- One round per route and slot, however often planning runs.
CREATE UNIQUE INDEX patrol_rounds_slot_idx ON patrol_rounds (tenant_id, route_id, slot_start);
CREATE INDEX patrol_rounds_start_idx ON patrol_rounds (tenant_id, slot_start);
CREATE INDEX patrol_rounds_due_idx ON patrol_rounds (tenant_id, status, late_until);

CREATE TABLE patrol_round_points (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    round_id        TEXT NOT NULL,
    checkpoint_id   TEXT NOT NULL,
    position        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    checked_at      DATETIME,
    checked_by      TEXT,
    checked_by_name TEXT NOT NULL DEFAULT '',
    late            BOOLEAN NOT NULL DEFAULT 0,
    out_of_order    BOOLEAN NOT NULL DEFAULT 0,
    abnormal        BOOLEAN NOT NULL DEFAULT 0,
    note            TEXT NOT NULL DEFAULT '',
    photo_id        TEXT,
    missed          BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);
-- A point is checked in once per round: a second scan finds this row.
CREATE UNIQUE INDEX patrol_round_points_idx ON patrol_round_points (tenant_id, round_id, checkpoint_id);
CREATE INDEX patrol_round_points_missed_idx ON patrol_round_points (tenant_id, missed, round_id);
