-- Work orders (see the postgres twin) (报修 / 投诉 / 建议 / 巡检 / 保养): the orders, their timeline
-- (one row per transition or action, never updated), the labour and
-- materials of paid repairs, technicians' skills and weekly shifts, dispatch
-- rules, SLA targets and each tenant's settings.
CREATE TABLE work_orders (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    type             TEXT NOT NULL,
    category         TEXT NOT NULL,
    status           TEXT NOT NULL,
    priority         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    community_id     TEXT NOT NULL,
    building_id      TEXT,
    location_id      TEXT,
    location_kind    TEXT NOT NULL DEFAULT '',
    room_id          TEXT,
    location_name    TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',
    contact          TEXT NOT NULL DEFAULT '',
    preferred_time   DATETIME,
    reporter_id      TEXT,
    reporter_name    TEXT NOT NULL DEFAULT '',
    assignee_id      TEXT,
    assignee_name    TEXT NOT NULL DEFAULT '',
    expected_arrival DATETIME,
    dedupe_key       TEXT,
    skill            TEXT NOT NULL DEFAULT '',
    response_due     DATETIME NOT NULL,
    resolve_due      DATETIME NOT NULL,
    sla_breached     BOOLEAN NOT NULL DEFAULT 0,
    assigned_at      DATETIME,
    accepted_at      DATETIME,
    resolved_at      DATETIME,
    confirmed_at     DATETIME,
    closed_at        DATETIME,
    result           TEXT NOT NULL DEFAULT '',
    cancel_reason    TEXT NOT NULL DEFAULT '',
    rating           INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment   TEXT NOT NULL DEFAULT '',
    rated_at         DATETIME,
    follow_up        TEXT NOT NULL DEFAULT '',
    followed_up_at   DATETIME,
    followed_up_by   TEXT NOT NULL DEFAULT '',
    chase_count      INTEGER NOT NULL DEFAULT 0,
    chased_at        DATETIME,
    charge_minor     INTEGER NOT NULL DEFAULT 0,
    currency         TEXT NOT NULL DEFAULT 'CNY',
    charged_bill_id  TEXT,
    charged_at       DATETIME,
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
-- Lists by status, by assignee and by room, newest first; the SLA sweep
-- reads open orders not yet breached; the plan and alarm hooks dedupe.
CREATE INDEX work_orders_status_idx ON work_orders (tenant_id, status, created_at);
CREATE INDEX work_orders_assignee_idx ON work_orders (tenant_id, assignee_id, status);
CREATE INDEX work_orders_room_idx ON work_orders (tenant_id, room_id, created_at);
CREATE INDEX work_orders_reporter_idx ON work_orders (tenant_id, reporter_id, created_at);
CREATE INDEX work_orders_created_idx ON work_orders (tenant_id, created_at);
CREATE INDEX work_orders_open_sla_idx ON work_orders (tenant_id, resolve_due) WHERE sla_breached = 0 AND status IN ('submitted','assigned','accepted','in_progress');
CREATE UNIQUE INDEX work_orders_dedupe_idx ON work_orders (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE work_order_events (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    order_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    actor_id    TEXT,
    actor_name  TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    at          DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX work_order_events_order_idx ON work_order_events (tenant_id, order_id, at);

CREATE TABLE work_order_lines (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('labour','material')),
    name         TEXT NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    unit_minor   INTEGER NOT NULL CHECK (unit_minor >= 0),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX work_order_lines_order_idx ON work_order_lines (tenant_id, order_id);

CREATE TABLE technicians (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    skills      TEXT NOT NULL DEFAULT '[]',
    shifts      TEXT NOT NULL DEFAULT '[]',
    communities TEXT NOT NULL DEFAULT '[]',
    active      BOOLEAN NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE dispatch_rules (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    position     INTEGER NOT NULL DEFAULT 0,
    category     TEXT NOT NULL DEFAULT '',
    community_id TEXT,
    building_id  TEXT,
    skill        TEXT NOT NULL,
    mode         TEXT NOT NULL CHECK (mode IN ('auto','pool')),
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE work_order_sla (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    category         TEXT NOT NULL DEFAULT '',
    priority         TEXT NOT NULL,
    response_minutes INTEGER NOT NULL CHECK (response_minutes > 0),
    resolve_minutes  INTEGER NOT NULL CHECK (resolve_minutes > 0),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX work_order_sla_key ON work_order_sla (tenant_id, category, priority);

CREATE TABLE work_order_settings (
    tenant_id          TEXT NOT NULL,
    auto_confirm_days  INTEGER NOT NULL DEFAULT 3 CHECK (auto_confirm_days BETWEEN 1 AND 60),
    chase_minutes      INTEGER NOT NULL DEFAULT 30 CHECK (chase_minutes BETWEEN 1 AND 1440),
    categories         TEXT NOT NULL DEFAULT '[]',
    updated_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id)
);
