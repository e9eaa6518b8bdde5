-- Finance beside the ledger: expenses, collection work on rooms in arrears
-- and each tenant's reminder schedule (see the postgres twin).
CREATE TABLE expenses (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    community_id TEXT,
    category     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    spent_on     DATE NOT NULL,
    payee        TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX expenses_spent_idx ON expenses (tenant_id, spent_on);

CREATE TABLE collection_actions (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    room_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    promised_on  DATE,
    due_minor    INTEGER NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL DEFAULT 'CNY',
    acted_by     TEXT NOT NULL DEFAULT '',
    acted_at     DATETIME NOT NULL,
    dedupe_key   TEXT,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX collection_actions_room_idx ON collection_actions (tenant_id, room_id, acted_at);
CREATE UNIQUE INDEX collection_actions_dedupe_idx ON collection_actions (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE collection_settings (
    tenant_id         TEXT NOT NULL,
    notices_enabled   BOOLEAN NOT NULL DEFAULT 1,
    notice_day        INTEGER NOT NULL DEFAULT 1 CHECK (notice_day BETWEEN 1 AND 28),
    reminders_enabled BOOLEAN NOT NULL DEFAULT 1,
    reminder_weekday  INTEGER NOT NULL DEFAULT 1 CHECK (reminder_weekday BETWEEN 0 AND 6),
    reminder_hour     INTEGER NOT NULL DEFAULT 10 CHECK (reminder_hour BETWEEN 0 AND 23),
    min_overdue_days  INTEGER NOT NULL DEFAULT 1 CHECK (min_overdue_days >= 0),
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id)
);
