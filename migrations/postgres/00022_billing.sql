-- Billing (账单): bills and their lines priced by the fee domain, bill runs,
-- the append-only ledger, counter payments with gap-free receipt numbers,
-- refunds that need a second person's approval, and billing settings.
-- Balances are sums of ledger entries; no table holds a balance.

-- billing_settings: id is the tenant's own id for the tenant-wide row, or a
-- community id for that community's row.
CREATE TABLE billing_settings (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    auto_pay_prepaid boolean NOT NULL DEFAULT false,
    auto_run         boolean NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE bill_runs (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    community_id uuid NOT NULL,
    period       text NOT NULL,
    status       text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    last_room_id uuid,
    rooms        bigint NOT NULL DEFAULT 0,
    bills        bigint NOT NULL DEFAULT 0,
    amount       bigint NOT NULL DEFAULT 0,
    exceptions   bigint NOT NULL DEFAULT 0,
    job_id       uuid,
    started_by   text NOT NULL DEFAULT '',
    message      text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX bill_runs_period ON bill_runs (tenant_id, community_id, period);

-- A bill is one room's bill for a period (bill_key 'p:<period>') or one
-- one-off charge (bill_key 'c:<idempotency key>'): the key makes a re-run or
-- a retried charge create nothing new.
CREATE TABLE bills (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    room_id      uuid NOT NULL,
    community_id uuid NOT NULL,
    building_id  uuid NOT NULL,
    period       text NOT NULL,
    bill_key     text NOT NULL,
    source       text NOT NULL DEFAULT 'run',
    amount       bigint NOT NULL CHECK (amount >= 0),
    currency     text NOT NULL,
    issued_on    date NOT NULL,
    due_on       date NOT NULL,
    status       text NOT NULL CHECK (status IN ('issued', 'cancelled')),
    run_id       uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX bills_key ON bills (tenant_id, room_id, bill_key);
CREATE INDEX bills_period ON bills (tenant_id, period, community_id);
CREATE INDEX bills_due ON bills (tenant_id, due_on);

CREATE TABLE bill_lines (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    bill_id      uuid NOT NULL,
    position     integer NOT NULL,
    item_id      uuid,
    item_code    text NOT NULL,
    item_name    text NOT NULL,
    kind         text NOT NULL,
    from_on      date NOT NULL,
    to_on        date NOT NULL,
    quantity     text NOT NULL DEFAULT '',
    unit         text NOT NULL DEFAULT '',
    rate         text NOT NULL DEFAULT '',
    amount       bigint NOT NULL CHECK (amount >= 0),
    detail       text NOT NULL DEFAULT '',
    due_days     integer NOT NULL DEFAULT 0,
    late_grace   integer,
    late_rate    text NOT NULL DEFAULT '',
    late_cap     text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, bill_id) REFERENCES bills (tenant_id, id)
);
CREATE INDEX bill_lines_bill ON bill_lines (tenant_id, bill_id, position);

-- A payment is money received: at the counter (cash, bank_transfer, pos,
-- cheque) with a receipt number, or online (provider_txn_id).
CREATE TABLE payments (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    room_id         uuid NOT NULL,
    channel         text NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    currency        text NOT NULL,
    received_on     date NOT NULL,
    receipt_no      text NOT NULL DEFAULT '',
    payer           text NOT NULL DEFAULT '',
    note            text NOT NULL DEFAULT '',
    provider_txn_id text NOT NULL DEFAULT '',
    created_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX payments_provider_txn ON payments (tenant_id, channel, provider_txn_id) WHERE provider_txn_id <> '';
CREATE UNIQUE INDEX payments_receipt ON payments (tenant_id, receipt_no) WHERE receipt_no <> '';
CREATE INDEX payments_room ON payments (tenant_id, room_id, received_on);
CREATE INDEX payments_received ON payments (tenant_id, received_on);

-- The last receipt number given per year; its row is locked by the UPDATE
-- that takes the next number, in the payment's transaction, so a rollback
-- returns the number and two payments never share one.
CREATE TABLE receipt_counters (
    tenant_id uuid NOT NULL,
    id        integer NOT NULL, -- the year
    last      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE refunds (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    payment_id    uuid NOT NULL,
    amount        bigint NOT NULL CHECK (amount > 0),
    currency      text NOT NULL,
    reason        text NOT NULL,
    status        text NOT NULL CHECK (status IN ('requested', 'approved', 'rejected')),
    requested_by  uuid,
    decided_by    uuid,
    provider_ref  text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id)
);
CREATE INDEX refunds_payment ON refunds (tenant_id, payment_id);
CREATE UNIQUE INDEX refunds_provider_ref ON refunds (tenant_id, provider_ref) WHERE provider_ref <> '';

-- The ledger: append-only. amount > 0 adds to what the room owes (account
-- 'receivable') or takes from its prepaid money (account 'prepaid'); < 0 the
-- reverse. A payment entry with a bill_id is the allocation of a payment to a
-- bill. entry_key makes a retried posting (a late fee for a bill and day)
-- land once.
CREATE TABLE ledger_entries (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    room_id     uuid NOT NULL,
    account     text NOT NULL CHECK (account IN ('receivable', 'prepaid')),
    kind        text NOT NULL CHECK (kind IN ('charge', 'payment', 'refund', 'adjustment', 'write_off', 'late_fee', 'prepayment')),
    amount      bigint NOT NULL,
    currency    text NOT NULL,
    bill_id     uuid,
    payment_id  uuid,
    refund_id   uuid,
    booked_on   date NOT NULL,
    entry_key   text NOT NULL DEFAULT '',
    actor       text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- A room's balance is one index-only range: (tenant, room, account) with the amount.
CREATE INDEX ledger_room ON ledger_entries (tenant_id, room_id, account, amount);
CREATE INDEX ledger_bill ON ledger_entries (tenant_id, bill_id) WHERE bill_id IS NOT NULL;
CREATE INDEX ledger_payment ON ledger_entries (tenant_id, payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX ledger_booked ON ledger_entries (tenant_id, booked_on);
CREATE UNIQUE INDEX ledger_entry_key ON ledger_entries (tenant_id, entry_key) WHERE entry_key <> '';

-- Append-only for the application: it may insert and read ledger entries, never change them.
REVOKE UPDATE, DELETE ON ledger_entries FROM wuye_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['billing_settings','bill_runs','bills','bill_lines','payments','receipt_counters','refunds','ledger_entries'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO wuye_platform', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON billing_settings, bill_runs, bills, bill_lines, payments, receipt_counters, refunds TO wuye_app;
GRANT SELECT, INSERT ON ledger_entries TO wuye_app;
