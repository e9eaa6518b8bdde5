-- Properties (小区 → 楼栋 → 单元 → 房屋), common areas, and the equipment
-- register with its maintenance plans and history. Areas are int64
-- hundredths of a square metre, fee coefficients int64 ten-thousandths.

CREATE TABLE communities (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    code        text NOT NULL DEFAULT '',
    name        text NOT NULL,
    address     text NOT NULL DEFAULT '',
    notes       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX communities_name_key ON communities (tenant_id, name);

CREATE TABLE buildings (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    community_id uuid NOT NULL,
    name         text NOT NULL,
    floors       integer NOT NULL DEFAULT 0,
    notes        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX buildings_name_key ON buildings (tenant_id, community_id, name);

CREATE TABLE units (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    building_id  uuid NOT NULL,
    name         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, building_id) REFERENCES buildings (tenant_id, id)
);
CREATE UNIQUE INDEX units_name_key ON units (tenant_id, building_id, name);

CREATE TABLE rooms (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    community_id    uuid NOT NULL,
    building_id     uuid NOT NULL,
    unit_id         uuid NOT NULL,
    number          text NOT NULL,
    floor           integer NOT NULL DEFAULT 0,
    built_area      bigint NOT NULL DEFAULT 0,
    interior_area   bigint NOT NULL DEFAULT 0,
    shared_area     bigint NOT NULL DEFAULT 0,
    layout          text NOT NULL DEFAULT '',
    orientation     text NOT NULL DEFAULT '',
    structure       text NOT NULL DEFAULT '',
    year_built      integer NOT NULL DEFAULT 0,
    usage           text NOT NULL DEFAULT 'residential',
    status          text NOT NULL DEFAULT 'vacant',
    fee_coefficient bigint NOT NULL DEFAULT 10000,
    notes           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES units (tenant_id, id),
    CHECK (built_area >= 0 AND interior_area >= 0 AND shared_area >= 0 AND fee_coefficient >= 0)
);
CREATE UNIQUE INDEX rooms_number_key ON rooms (tenant_id, unit_id, number);
CREATE INDEX rooms_building_idx ON rooms (tenant_id, building_id, status);
CREATE INDEX rooms_community_idx ON rooms (tenant_id, community_id, number);

-- Common areas (clubhouse, lobby, plant room …) are locations like rooms.
CREATE TABLE common_areas (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    community_id uuid NOT NULL,
    building_id  uuid,
    name         text NOT NULL,
    category     text NOT NULL DEFAULT 'other',
    area         bigint NOT NULL DEFAULT 0,
    notes        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX common_areas_name_key ON common_areas (tenant_id, community_id, name);

CREATE TABLE assets (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    community_id  uuid NOT NULL,
    code          text NOT NULL,
    name          text NOT NULL,
    category      text NOT NULL,
    brand         text NOT NULL DEFAULT '',
    model         text NOT NULL DEFAULT '',
    serial        text NOT NULL DEFAULT '',
    supplier      text NOT NULL DEFAULT '',
    purchase_date date,
    install_date  date,
    warranty_end  date,
    location_id   uuid,
    location_kind text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'in_service',
    documents     text NOT NULL DEFAULT '[]',
    device_id     uuid,
    notes         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX assets_code_key ON assets (tenant_id, code);
CREATE INDEX assets_community_idx ON assets (tenant_id, community_id, category);

CREATE TABLE maintenance_plans (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    asset_id     uuid NOT NULL,
    name         text NOT NULL,
    checklist    text NOT NULL DEFAULT '[]',
    cycle_kind   text NOT NULL,
    cycle_every  integer NOT NULL DEFAULT 0,
    fixed_dates  text NOT NULL DEFAULT '[]',
    start_date   date NOT NULL,
    last_done    date,
    next_due     date NOT NULL,
    remind_days  integer NOT NULL DEFAULT 7,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX maintenance_plans_due_idx ON maintenance_plans (tenant_id, active, next_due);

CREATE TABLE maintenance_records (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    asset_id     uuid NOT NULL,
    plan_id      uuid,
    done_on      date NOT NULL,
    performed_by text NOT NULL,
    result       text NOT NULL,
    cost_minor   bigint NOT NULL DEFAULT 0,
    currency     text NOT NULL DEFAULT 'CNY',
    notes        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX maintenance_records_asset_idx ON maintenance_records (tenant_id, asset_id, done_on);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['communities','buildings','units','rooms','common_areas','assets','maintenance_plans','maintenance_records'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id))', t);
    END LOOP;
END $$;
