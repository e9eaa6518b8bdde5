-- Properties (小区 → 楼栋 → 单元 → 房屋), common areas, and the equipment
-- register with its maintenance plans and history. Areas are int64
-- hundredths of a square metre, fee coefficients int64 ten-thousandths.

CREATE TABLE communities (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX communities_name_key ON communities (tenant_id, name);

CREATE TABLE buildings (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    community_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    floors       INTEGER NOT NULL DEFAULT 0,
    notes        TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX buildings_name_key ON buildings (tenant_id, community_id, name);

CREATE TABLE units (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    building_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, building_id) REFERENCES buildings (tenant_id, id)
);
CREATE UNIQUE INDEX units_name_key ON units (tenant_id, building_id, name);

CREATE TABLE rooms (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    community_id    TEXT NOT NULL,
    building_id     TEXT NOT NULL,
    unit_id         TEXT NOT NULL,
    number          TEXT NOT NULL,
    floor           INTEGER NOT NULL DEFAULT 0,
    built_area      INTEGER NOT NULL DEFAULT 0,
    interior_area   INTEGER NOT NULL DEFAULT 0,
    shared_area     INTEGER NOT NULL DEFAULT 0,
    layout          TEXT NOT NULL DEFAULT '',
    orientation     TEXT NOT NULL DEFAULT '',
    structure       TEXT NOT NULL DEFAULT '',
    year_built      INTEGER NOT NULL DEFAULT 0,
    usage           TEXT NOT NULL DEFAULT 'residential',
    status          TEXT NOT NULL DEFAULT 'vacant',
    fee_coefficient INTEGER NOT NULL DEFAULT 10000,
    notes           TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES units (tenant_id, id),
    CHECK (built_area >= 0 AND interior_area >= 0 AND shared_area >= 0 AND fee_coefficient >= 0)
);
CREATE UNIQUE INDEX rooms_number_key ON rooms (tenant_id, unit_id, number);
CREATE INDEX rooms_building_idx ON rooms (tenant_id, building_id, status);
CREATE INDEX rooms_community_idx ON rooms (tenant_id, community_id, number);

-- Common areas (clubhouse, lobby, plant room …) are locations like rooms.
CREATE TABLE common_areas (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    community_id TEXT NOT NULL,
    building_id  TEXT,
    name         TEXT NOT NULL,
    category     TEXT NOT NULL DEFAULT 'other',
    area         INTEGER NOT NULL DEFAULT 0,
    notes        TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX common_areas_name_key ON common_areas (tenant_id, community_id, name);

CREATE TABLE assets (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    community_id  TEXT NOT NULL,
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    category      TEXT NOT NULL,
    brand         TEXT NOT NULL DEFAULT '',
    model         TEXT NOT NULL DEFAULT '',
    serial        TEXT NOT NULL DEFAULT '',
    supplier      TEXT NOT NULL DEFAULT '',
    purchase_date DATE,
    install_date  DATE,
    warranty_end  DATE,
    location_id   TEXT,
    location_kind TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'in_service',
    documents     TEXT NOT NULL DEFAULT '[]',
    device_id     TEXT,
    notes         TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX assets_code_key ON assets (tenant_id, code);
CREATE INDEX assets_community_idx ON assets (tenant_id, community_id, category);

CREATE TABLE maintenance_plans (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    asset_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    checklist    TEXT NOT NULL DEFAULT '[]',
    cycle_kind   TEXT NOT NULL,
    cycle_every  INTEGER NOT NULL DEFAULT 0,
    fixed_dates  TEXT NOT NULL DEFAULT '[]',
    start_date   DATE NOT NULL,
    last_done    DATE,
    next_due     DATE NOT NULL,
    remind_days  INTEGER NOT NULL DEFAULT 7,
    active       BOOLEAN NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX maintenance_plans_due_idx ON maintenance_plans (tenant_id, active, next_due);

CREATE TABLE maintenance_records (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    asset_id     TEXT NOT NULL,
    plan_id      TEXT,
    done_on      DATE NOT NULL,
    performed_by TEXT NOT NULL,
    result       TEXT NOT NULL,
    cost_minor   INTEGER NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL DEFAULT 'CNY',
    notes        TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES assets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX maintenance_records_asset_idx ON maintenance_records (tenant_id, asset_id, done_on);
