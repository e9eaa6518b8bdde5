-- Fee rules (收费项目, core/fee): fee items per community with versioned
-- rules, meters per room (or common meters for 公摊) and their readings.
-- Rates and readings are exact decimals kept as TEXT (rates) or int64
-- thousandths (readings); amounts are never stored here: billing stores them.

CREATE TABLE fee_items (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    community_id     TEXT NOT NULL,
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    unit             TEXT NOT NULL DEFAULT '',
    currency         TEXT NOT NULL DEFAULT 'CNY',
    cycle            TEXT NOT NULL DEFAULT 'monthly',
    billing          TEXT NOT NULL DEFAULT 'advance',
    due_days         INTEGER NOT NULL DEFAULT 0,
    rounding         TEXT NOT NULL DEFAULT 'half_up',
    rounding_scope   TEXT NOT NULL DEFAULT 'line',
    area_basis       TEXT NOT NULL DEFAULT 'built',
    per              TEXT NOT NULL DEFAULT 'room',
    meter_kind       TEXT NOT NULL DEFAULT '',
    common_meter_id  TEXT,
    apportion        TEXT NOT NULL DEFAULT 'area',
    vacancy_percent  TEXT NOT NULL DEFAULT '0',
    late_grace_days  INTEGER NOT NULL DEFAULT 0,
    late_rate        TEXT NOT NULL DEFAULT '',
    late_cap_percent TEXT NOT NULL DEFAULT '',
    prepay_tiers     TEXT NOT NULL DEFAULT '[]',
    active           BOOLEAN NOT NULL DEFAULT 1,
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX fee_items_code_key ON fee_items (tenant_id, code);
CREATE INDEX fee_items_community_idx ON fee_items (tenant_id, community_id);

CREATE TABLE fee_rules (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    valid_from DATE NOT NULL,
    valid_to   DATE,
    status     TEXT NOT NULL DEFAULT 'draft',
    rate       TEXT NOT NULL DEFAULT '0',
    tiers      TEXT NOT NULL DEFAULT '[]',
    notes      TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES fee_items (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX fee_rules_version_key ON fee_rules (tenant_id, item_id, version);

CREATE TABLE meters (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    community_id  TEXT NOT NULL,
    building_id   TEXT,
    room_id       TEXT,
    kind          TEXT NOT NULL,
    serial        TEXT NOT NULL,
    digits        INTEGER NOT NULL DEFAULT 6,
    start_reading INTEGER NOT NULL DEFAULT 0,
    installed_on  DATE NOT NULL,
    status        TEXT NOT NULL DEFAULT 'active',
    replaced_by   TEXT,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES communities (tenant_id, id)
);
CREATE UNIQUE INDEX meters_serial_key ON meters (tenant_id, kind, serial);
CREATE INDEX meters_room_idx ON meters (tenant_id, room_id, kind);

CREATE TABLE meter_readings (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    meter_id    TEXT NOT NULL,
    room_id     TEXT,
    period      TEXT NOT NULL,
    read_on     DATE NOT NULL,
    value       INTEGER NOT NULL,
    consumption INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, meter_id) REFERENCES meters (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX meter_readings_period_key ON meter_readings (tenant_id, meter_id, period);
CREATE INDEX meter_readings_room_idx ON meter_readings (tenant_id, room_id, period);

-- Pricing walks a community's rooms in id order (fee.QuoteCommunity): a
-- keyset index makes each batch start where the last one ended.
CREATE INDEX rooms_community_id_idx ON rooms (tenant_id, community_id, id);
