-- Patrol (巡更): routes of ordered checkpoints with a schedule in the
-- tenant's time zone, the rounds each scheduled slot becomes, and each
-- round's points: checked in (when, by whom, late, out of order, abnormal)
-- or missed when the round's window closed. A missed point is the
-- exception managers are told about.
CREATE TABLE patrol_routes (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    community_id   uuid NOT NULL,
    name           text NOT NULL,
    times          text NOT NULL DEFAULT '[]',
    weekdays       text NOT NULL DEFAULT '[]',
    window_minutes integer NOT NULL CHECK (window_minutes BETWEEN 5 AND 720),
    late_minutes   integer NOT NULL DEFAULT 0 CHECK (late_minutes BETWEEN 0 AND 240),
    guard_ids      text NOT NULL DEFAULT '[]',
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE patrol_checkpoints (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    route_id         uuid NOT NULL,
    position         integer NOT NULL,
    name             text NOT NULL,
    location_kind    text NOT NULL DEFAULT 'text',
    location_id      uuid,
    location_text    text NOT NULL DEFAULT '',
    token            text NOT NULL,
    token_rotated_at timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX patrol_checkpoints_route_idx ON patrol_checkpoints (tenant_id, route_id, position);
-- A scan names its checkpoint by token alone.
CREATE UNIQUE INDEX patrol_checkpoints_token_idx ON patrol_checkpoints (tenant_id, token);

CREATE TABLE patrol_rounds (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    route_id       uuid NOT NULL,
    community_id   uuid NOT NULL,
    slot_start     timestamptz NOT NULL,
    closes_at      timestamptz NOT NULL,
    late_until     timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'scheduled',
    guard_id       uuid,
    guard_name     text NOT NULL DEFAULT '',
    points_total   integer NOT NULL DEFAULT 0,
    points_checked integer NOT NULL DEFAULT 0,
    points_late    integer NOT NULL DEFAULT 0,
    points_missed  integer NOT NULL DEFAULT 0,
    closed_at      timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- One round per route and slot, however often planning runs.
CREATE UNIQUE INDEX patrol_rounds_slot_idx ON patrol_rounds (tenant_id, route_id, slot_start);
CREATE INDEX patrol_rounds_start_idx ON patrol_rounds (tenant_id, slot_start);
CREATE INDEX patrol_rounds_due_idx ON patrol_rounds (tenant_id, status, late_until);

CREATE TABLE patrol_round_points (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    round_id        uuid NOT NULL,
    checkpoint_id   uuid NOT NULL,
    position        integer NOT NULL,
    name            text NOT NULL,
    checked_at      timestamptz,
    checked_by      uuid,
    checked_by_name text NOT NULL DEFAULT '',
    late            boolean NOT NULL DEFAULT false,
    out_of_order    boolean NOT NULL DEFAULT false,
    abnormal        boolean NOT NULL DEFAULT false,
    note            text NOT NULL DEFAULT '',
    photo_id        uuid,
    missed          boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, id)
);
-- A point is checked in once per round: a second scan finds this row.
CREATE UNIQUE INDEX patrol_round_points_idx ON patrol_round_points (tenant_id, round_id, checkpoint_id);
CREATE INDEX patrol_round_points_missed_idx ON patrol_round_points (tenant_id, missed, round_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['patrol_routes','patrol_checkpoints','patrol_rounds','patrol_round_points'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
