-- Finance beside the ledger: the company's expenses (for the profit report),
-- the collection work done on rooms in arrears (calls, letters, visits,
-- automatic reminders) and each tenant's reminder schedule. Income comes from
-- billing's ledger; nothing here holds a balance.
CREATE TABLE expenses (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    community_id uuid,
    category     text NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency     text NOT NULL,
    spent_on     date NOT NULL,
    payee        text NOT NULL DEFAULT '',
    description  text NOT NULL DEFAULT '',
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX expenses_spent_idx ON expenses (tenant_id, spent_on);

CREATE TABLE collection_actions (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    room_id      uuid NOT NULL,
    kind         text NOT NULL,
    outcome      text NOT NULL,
    note         text NOT NULL DEFAULT '',
    promised_on  date,
    due_minor    bigint NOT NULL DEFAULT 0,
    currency     text NOT NULL DEFAULT 'CNY',
    acted_by     text NOT NULL DEFAULT '',
    acted_at     timestamptz NOT NULL,
    dedupe_key   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX collection_actions_room_idx ON collection_actions (tenant_id, room_id, acted_at);
-- An automatic reminder is recorded once per room and week, however often the job runs.
CREATE UNIQUE INDEX collection_actions_dedupe_idx ON collection_actions (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE TABLE collection_settings (
    tenant_id         uuid NOT NULL,
    notices_enabled   boolean NOT NULL DEFAULT true,
    notice_day        integer NOT NULL DEFAULT 1 CHECK (notice_day BETWEEN 1 AND 28),
    reminders_enabled boolean NOT NULL DEFAULT true,
    reminder_weekday  integer NOT NULL DEFAULT 1 CHECK (reminder_weekday BETWEEN 0 AND 6),
    reminder_hour     integer NOT NULL DEFAULT 10 CHECK (reminder_hour BETWEEN 0 AND 23),
    min_overdue_days  integer NOT NULL DEFAULT 1 CHECK (min_overdue_days >= 0),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['expenses','collection_actions','collection_settings'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
