-- Online payments: merchant accounts (secrets encrypted by the application),
-- payment orders, provider refunds and stored reconciliations. The twin of
-- postgres/00023_payment.sql (same tables and columns; no RLS on SQLite).

CREATE TABLE payment_merchants (
    tenant_id           TEXT NOT NULL,
    id                  TEXT NOT NULL,
    public_id           TEXT NOT NULL,
    provider            TEXT NOT NULL,
    name                TEXT NOT NULL,
    app_id              TEXT NOT NULL DEFAULT '',
    mch_id              TEXT NOT NULL DEFAULT '',
    merchant_serial     TEXT NOT NULL DEFAULT '',
    platform_serial     TEXT NOT NULL DEFAULT '',
    provider_public_key TEXT NOT NULL DEFAULT '',
    private_key_enc     TEXT NOT NULL DEFAULT '',
    api_v3_key_enc      TEXT NOT NULL DEFAULT '',
    sandbox_key_enc     TEXT NOT NULL DEFAULT '',
    gateway             TEXT NOT NULL DEFAULT '',
    enabled             BOOLEAN NOT NULL DEFAULT 1,
    created_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    CHECK (provider IN ('alipay', 'wechat', 'sandbox'))
);
CREATE UNIQUE INDEX payment_merchants_public_idx ON payment_merchants (public_id);

CREATE TABLE payment_orders (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    order_no        TEXT NOT NULL,
    merchant_id     TEXT NOT NULL,
    provider        TEXT NOT NULL,
    channel         TEXT NOT NULL,
    bill_ids        TEXT NOT NULL,
    amount          INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,
    pay_url         TEXT NOT NULL DEFAULT '',
    provider_txn_id TEXT NOT NULL DEFAULT '',
    ledger_ref      TEXT NOT NULL DEFAULT '',
    payer_user_id   TEXT,
    created_by      TEXT NOT NULL DEFAULT '',
    expires_at      DATETIME NOT NULL,
    paid_at         DATETIME,
    closed_at       DATETIME,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    CHECK (amount > 0),
    CHECK (status IN ('created', 'paid', 'closed', 'refunded'))
);
CREATE UNIQUE INDEX payment_orders_no_idx ON payment_orders (tenant_id, order_no);
CREATE INDEX payment_orders_waiting_idx ON payment_orders (created_at) WHERE status = 'created';
CREATE INDEX payment_orders_paid_idx ON payment_orders (tenant_id, merchant_id, paid_at);

CREATE TABLE payment_refunds (
    tenant_id          TEXT NOT NULL,
    id                 TEXT NOT NULL,
    order_id           TEXT NOT NULL,
    refund_no          TEXT NOT NULL,
    amount             INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    reason             TEXT NOT NULL DEFAULT '',
    automatic          BOOLEAN NOT NULL DEFAULT 0,
    status             TEXT NOT NULL,
    provider_refund_id TEXT NOT NULL DEFAULT '',
    error              TEXT NOT NULL DEFAULT '',
    attempts           INTEGER NOT NULL DEFAULT 0,
    created_by         TEXT NOT NULL DEFAULT '',
    requested_by_id    TEXT,
    approved_by_id     TEXT,
    approved_by        TEXT NOT NULL DEFAULT '',
    created_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    CHECK (amount > 0),
    CHECK (status IN ('requested', 'rejected', 'pending', 'succeeded', 'failed'))
);
CREATE UNIQUE INDEX payment_refunds_no_idx ON payment_refunds (tenant_id, refund_no);
CREATE INDEX payment_refunds_order_idx ON payment_refunds (tenant_id, order_id);
CREATE INDEX payment_refunds_pending_idx ON payment_refunds (created_at) WHERE status = 'pending';

CREATE TABLE payment_reconciliations (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    merchant_id    TEXT NOT NULL,
    statement_date DATE NOT NULL,
    format         TEXT NOT NULL,
    row_count      INTEGER NOT NULL DEFAULT 0,
    matched        INTEGER NOT NULL DEFAULT 0,
    differences    INTEGER NOT NULL DEFAULT 0,
    items          TEXT NOT NULL DEFAULT '[]',
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX payment_reconciliations_date_idx ON payment_reconciliations (tenant_id, statement_date DESC);
