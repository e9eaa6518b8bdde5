-- Work orders (报修 / 投诉 / 建议 / 巡检 / 保养): the orders, their timeline
-- (one row per transition or action, never updated), the labour and
-- materials of paid repairs, technicians' skills and weekly shifts, dispatch
-- rules, SLA targets and each tenant's settings.
CREATE TABLE work_orders (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    type             text NOT NULL,
    category         text NOT NULL,
    status           text NOT NULL,
    priority         text NOT NULL,
    channel          text NOT NULL,
    community_id     uuid NOT NULL,
    building_id      uuid,
    location_id      uuid,
    location_kind    text NOT NULL DEFAULT '',
    room_id          uuid,
    location_name    text NOT NULL DEFAULT '',
    description      text NOT NULL DEFAULT '',
    contact          text NOT NULL DEFAULT '',
    preferred_time   timestamptz,
    reporter_id      uuid,
    reporter_name    text NOT NULL DEFAULT '',
    assignee_id      uuid,
    assignee_name    text NOT NULL DEFAULT '',
    expected_arrival timestamptz,
    dedupe_key       text,
    skill            text NOT NULL DEFAULT '',
    response_due     timestamptz NOT NULL,
    resolve_due      timestamptz NOT NULL,
    sla_breached     boolean NOT NULL DEFAULT false,
    assigned_at      timestamptz,
    accepted_at      timestamptz,
    resolved_at      timestamptz,
    confirmed_at     timestamptz,
    closed_at        timestamptz,
    result           text NOT NULL DEFAULT '',
    cancel_reason    text NOT NULL DEFAULT '',
    rating           integer CHECK (rating BETWEEN 1 AND 5),
    rating_comment   text NOT NULL DEFAULT '',
    rated_at         timestamptz,
    follow_up        text NOT NULL DEFAULT '',
    followed_up_at   timestamptz,
    followed_up_by   text NOT NULL DEFAULT '',
    chase_count      integer NOT NULL DEFAULT 0,
    chased_at        timestamptz,
    charge_minor     bigint NOT NULL DEFAULT 0,
    currency         text NOT NULL DEFAULT 'CNY',
    charged_bill_id  uuid,
    charged_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- Lists by status, by assignee and by room, newest first; the SLA sweep
-- reads open orders not yet breached; the plan and alarm hooks dedupe.
CREATE INDEX work_orders_status_idx ON work_orders (tenant_id, status, created_at);
CREATE INDEX work_orders_assignee_idx ON work_orders (tenant_id, assignee_id, status);
CREATE INDEX work_orders_room_idx ON work_orders (tenant_id, room_id, created_at);
CREATE INDEX work_orders_reporter_idx ON work_orders (tenant_id, reporter_id, created_at);
CREATE INDEX work_orders_created_idx ON work_orders (tenant_id, created_at);
CREATE INDEX work_orders_open_sla_idx ON work_orders (tenant_id, resolve_due) WHERE sla_breached = false AND status IN ('submitted','assigned','accepted','in_progress');
CREATE UNIQUE INDEX work_orders_dedupe_idx ON work_orders (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE work_order_events (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    order_id    uuid NOT NULL,
    kind        text NOT NULL,
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL DEFAULT '',
    actor_id    uuid,
    actor_name  text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX work_order_events_order_idx ON work_order_events (tenant_id, order_id, at);

CREATE TABLE work_order_lines (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    order_id     uuid NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('labour','material')),
    name         text NOT NULL,
    quantity     integer NOT NULL CHECK (quantity > 0),
    unit_minor   bigint NOT NULL CHECK (unit_minor >= 0),
    amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
    currency     text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX work_order_lines_order_idx ON work_order_lines (tenant_id, order_id);

CREATE TABLE technicians (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    name        text NOT NULL,
    skills      text NOT NULL DEFAULT '[]',
    shifts      text NOT NULL DEFAULT '[]',
    communities text NOT NULL DEFAULT '[]',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE dispatch_rules (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    position     integer NOT NULL DEFAULT 0,
    category     text NOT NULL DEFAULT '',
    community_id uuid,
    building_id  uuid,
    skill        text NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('auto','pool')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE work_order_sla (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    category         text NOT NULL DEFAULT '',
    priority         text NOT NULL,
    response_minutes integer NOT NULL CHECK (response_minutes > 0),
    resolve_minutes  integer NOT NULL CHECK (resolve_minutes > 0),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX work_order_sla_key ON work_order_sla (tenant_id, category, priority);

CREATE TABLE work_order_settings (
    tenant_id          uuid NOT NULL,
    auto_confirm_days  integer NOT NULL DEFAULT 3 CHECK (auto_confirm_days BETWEEN 1 AND 60),
    chase_minutes      integer NOT NULL DEFAULT 30 CHECK (chase_minutes BETWEEN 1 AND 1440),
    categories         text NOT NULL DEFAULT '[]',
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['work_orders','work_order_events','work_order_lines','technicians','dispatch_rules','work_order_sla','work_order_settings'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
