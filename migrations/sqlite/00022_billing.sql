-- Billing (账单): bills and their lines priced by the fee domain, bill runs,
-- the append-only ledger, counter payments with gap-free receipt numbers,
-- refunds that need a second person's approval, and billing settings.
-- Balances are sums of ledger entries; no table holds a balance.

-- billing_settings: id is the tenant's own id for the tenant-wide row, or a
-- community id for that community's row.
CREATE TABLE billing_settings (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    auto_pay_prepaid BOOLEAN NOT NULL DEFAULT 0,
    auto_run         BOOLEAN NOT NULL DEFAULT 0,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE bill_runs (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    community_id TEXT NOT NULL,
    period       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    last_room_id TEXT,
    rooms        INTEGER NOT NULL DEFAULT 0,
    bills        INTEGER NOT NULL DEFAULT 0,
    amount       INTEGER NOT NULL DEFAULT 0,
    exceptions   INTEGER NOT NULL DEFAULT 0,
    job_id       TEXT,
    started_by   TEXT NOT NULL DEFAULT '',
    message      TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX bill_runs_period ON bill_runs (tenant_id, community_id, period);

-- A bill is one room's bill for a period (bill_key 'p:<period>') or one
-- one-off charge (bill_key 'c:<idempotency key>'): the key makes a re-run or
-- a retried charge create nothing new.
CREATE TABLE bills (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    room_id      TEXT NOT NULL,
    community_id TEXT NOT NULL,
    building_id  TEXT NOT NULL,
    period       TEXT NOT NULL,
    bill_key     TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT 'run',
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    currency     TEXT NOT NULL,
    issued_on    DATE NOT NULL,
    due_on       DATE NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('issued', 'cancelled')),
    run_id       TEXT,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX bills_key ON bills (tenant_id, room_id, bill_key);
CREATE INDEX bills_period ON bills (tenant_id, period, community_id);
CREATE INDEX bills_due ON bills (tenant_id, due_on);

CREATE TABLE bill_lines (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    bill_id      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    item_id      TEXT,
    item_code    TEXT NOT NULL,
    item_name    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    from_on      DATE NOT NULL,
    to_on        DATE NOT NULL,
    quantity     TEXT NOT NULL DEFAULT '',
    unit         TEXT NOT NULL DEFAULT '',
    rate         TEXT NOT NULL DEFAULT '',
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    detail       TEXT NOT NULL DEFAULT '',
    due_days     INTEGER NOT NULL DEFAULT 0,
    late_grace   INTEGER,
    late_rate    TEXT NOT NULL DEFAULT '',
    late_cap     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, bill_id) REFERENCES bills (tenant_id, id)
);
CREATE INDEX bill_lines_bill ON bill_lines (tenant_id, bill_id, position);

-- A payment is money received: at the counter (cash, bank_transfer, pos,
-- cheque) with a receipt number, or online (provider_txn_id).
CREATE TABLE payments (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    room_id         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL,
    received_on     DATE NOT NULL,
    receipt_no      TEXT NOT NULL DEFAULT '',
    payer           TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    provider_txn_id TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
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
    tenant_id TEXT NOT NULL,
    id        INTEGER NOT NULL, -- the year
    last      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE refunds (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    payment_id    TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    currency      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected')),
    requested_by  TEXT,
    decided_by    TEXT,
    provider_ref  TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    decided_at    DATETIME,
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
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    room_id     TEXT NOT NULL,
    account     TEXT NOT NULL CHECK (account IN ('receivable', 'prepaid')),
    kind        TEXT NOT NULL CHECK (kind IN ('charge', 'payment', 'refund', 'adjustment', 'write_off', 'late_fee', 'prepayment')),
    amount      INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    bill_id     TEXT,
    payment_id  TEXT,
    refund_id   TEXT,
    booked_on   DATE NOT NULL,
    entry_key   TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
-- A room's balance is one index-only range: (tenant, room, account) with the amount.
CREATE INDEX ledger_room ON ledger_entries (tenant_id, room_id, account, amount);
CREATE INDEX ledger_bill ON ledger_entries (tenant_id, bill_id) WHERE bill_id IS NOT NULL;
CREATE INDEX ledger_payment ON ledger_entries (tenant_id, payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX ledger_booked ON ledger_entries (tenant_id, booked_on);
CREATE UNIQUE INDEX ledger_entry_key ON ledger_entries (tenant_id, entry_key) WHERE entry_key <> '';
