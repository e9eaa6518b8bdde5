-- Fee rules (收费项目, core/fee): fee items per community with versioned
-- rules, meters per room (or common meters for 公摊) and their readings.
-- Rates and readings are exact decimals kept as text (rates) or int64
-- thousandths (readings); amounts are never stored here: billing stores them.

CREATE TABLE fee_items (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    community_id     uuid NOT NULL,
    code             text NOT NULL,
    name             text NOT NULL,
    kind             text NOT NULL,
    unit             text NOT NULL DEFAULT '',
    currency         text NOT NULL DEFAULT 'CNY',
    cycle            text NOT NULL DEFAULT 'monthly',
    billing          text NOT NULL DEFAULT 'advance',
    due_days         integer NOT NULL DEFAULT 0,
    rounding         text NOT NULL DEFAULT 'half_up',
    rounding_scope   text NOT NULL DEFAULT 'line',
    area_basis       text NOT NULL DEFAULT 'built',
    per              text NOT NULL DEFAULT 'room',
    meter_kind       text NOT NULL DEFAULT '',
    common_meter_id  uuid,
    apportion        text NOT NULL DEFAULT 'area',
    vacancy_percent  text NOT NULL DEFAULT '0',
    late_grace_days  integer NOT NULL DEFAULT 0,
    late_rate        text NOT NULL DEFAULT '',
    late_cap_percent text NOT NULL DEFAULT '',
    prepay_tiers     text NOT NULL DEFAULT '[]',
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX fee_items_code_key ON fee_items (tenant_id, code);
CREATE INDEX fee_items_community_idx ON fee_items (tenant_id, community_id);

CREATE TABLE fee_rules (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    item_id    uuid NOT NULL,
    version    integer NOT NULL,
    valid_from date NOT NULL,
    valid_to   date,
    status     text NOT NULL DEFAULT 'draft',
    rate       text NOT NULL DEFAULT '0',
    tiers      text NOT NULL DEFAULT '[]',
    notes      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES fee_items (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX fee_rules_version_key ON fee_rules (tenant_id, item_id, version);

CREATE TABLE meters (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    community_id  uuid NOT NULL,
    building_id   uuid,
    room_id       uuid,
    kind          text NOT NULL,
    serial        text NOT NULL,
    digits        integer NOT NULL DEFAULT 6,
    start_reading bigint NOT NULL DEFAULT 0,
    installed_on  date NOT NULL,
    status        text NOT NULL DEFAULT 'active',
    replaced_by   uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX meters_serial_key ON meters (tenant_id, kind, serial);
CREATE INDEX meters_room_idx ON meters (tenant_id, room_id, kind);

CREATE TABLE meter_readings (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    meter_id    uuid NOT NULL,
    room_id     uuid,
    period      text NOT NULL,
    read_on     date NOT NULL,
    value       bigint NOT NULL,
    consumption bigint NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, meter_id) REFERENCES meters (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX meter_readings_period_key ON meter_readings (tenant_id, meter_id, period);
CREATE INDEX meter_readings_room_idx ON meter_readings (tenant_id, room_id, period);

-- Pricing walks a community's rooms in id order (fee.QuoteCommunity): a
-- keyset index makes each batch start where the last one ended.
CREATE INDEX rooms_community_id_idx ON rooms (tenant_id, community_id, id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['fee_items','fee_rules','meters','meter_readings'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
