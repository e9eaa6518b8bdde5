-- Online payments (issue 8, "Payments → Online" and "Reconciliation"): each
-- tenant's merchant accounts at a provider (secrets encrypted by the
-- application with the personal-data keyring), the online payment orders,
-- the refunds sent to the provider, and the stored results of reconciling a
-- provider's daily statement. The ledger itself is billing's; these tables
-- record only what happened at the provider.

CREATE TABLE payment_merchants (
    tenant_id           uuid NOT NULL,
    id                  uuid NOT NULL,
    -- public_id names the account in the notify URL; the notification's
    -- tenant comes from the account whose key verifies it.
    public_id           text NOT NULL,
    provider            text NOT NULL,
    name                text NOT NULL,
    app_id              text NOT NULL DEFAULT '',
    mch_id              text NOT NULL DEFAULT '',
    merchant_serial     text NOT NULL DEFAULT '',
    platform_serial     text NOT NULL DEFAULT '',
    provider_public_key text NOT NULL DEFAULT '',
    private_key_enc     text NOT NULL DEFAULT '',
    api_v3_key_enc      text NOT NULL DEFAULT '',
    sandbox_key_enc     text NOT NULL DEFAULT '',
    gateway             text NOT NULL DEFAULT '',
    enabled             boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (provider IN ('alipay', 'wechat', 'sandbox'))
);
CREATE UNIQUE INDEX payment_merchants_public_idx ON payment_merchants (public_id);

CREATE TABLE payment_orders (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    order_no        text NOT NULL,
    merchant_id     uuid NOT NULL,
    provider        text NOT NULL,
    channel         text NOT NULL,
    bill_ids        text NOT NULL,
    amount          bigint NOT NULL,
    currency        text NOT NULL,
    status          text NOT NULL,
    pay_url         text NOT NULL DEFAULT '',
    provider_txn_id text NOT NULL DEFAULT '',
    ledger_ref      text NOT NULL DEFAULT '',
    payer_user_id   uuid,
    created_by      text NOT NULL DEFAULT '',
    expires_at      timestamptz NOT NULL,
    paid_at         timestamptz,
    closed_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (amount > 0),
    CHECK (status IN ('created', 'paid', 'closed', 'refunded'))
);
CREATE UNIQUE INDEX payment_orders_no_idx ON payment_orders (tenant_id, order_no);
-- The query job looks for orders still waiting, across tenants.
CREATE INDEX payment_orders_waiting_idx ON payment_orders (created_at) WHERE status = 'created';
CREATE INDEX payment_orders_paid_idx ON payment_orders (tenant_id, merchant_id, paid_at);

CREATE TABLE payment_refunds (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    order_id           uuid NOT NULL,
    refund_no          text NOT NULL,
    amount             bigint NOT NULL,
    currency           text NOT NULL,
    reason             text NOT NULL DEFAULT '',
    automatic          boolean NOT NULL DEFAULT false,
    status             text NOT NULL,
    provider_refund_id text NOT NULL DEFAULT '',
    error              text NOT NULL DEFAULT '',
    attempts           integer NOT NULL DEFAULT 0,
    created_by         text NOT NULL DEFAULT '',
    requested_by_id    uuid,
    approved_by_id     uuid,
    approved_by        text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (amount > 0),
    CHECK (status IN ('requested', 'rejected', 'pending', 'succeeded', 'failed'))
);
CREATE UNIQUE INDEX payment_refunds_no_idx ON payment_refunds (tenant_id, refund_no);
CREATE INDEX payment_refunds_order_idx ON payment_refunds (tenant_id, order_id);
CREATE INDEX payment_refunds_pending_idx ON payment_refunds (created_at) WHERE status = 'pending';

CREATE TABLE payment_reconciliations (
    tenant_id      uuid NOT NULL,
    id             uuid NOT NULL,
    merchant_id    uuid NOT NULL,
    statement_date date NOT NULL,
    format         text NOT NULL,
    row_count      integer NOT NULL DEFAULT 0,
    matched        integer NOT NULL DEFAULT 0,
    differences    integer NOT NULL DEFAULT 0,
    items          text NOT NULL DEFAULT '[]',
    created_by     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX payment_reconciliations_date_idx ON payment_reconciliations (tenant_id, statement_date DESC);

ALTER TABLE payment_merchants ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_merchants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON payment_merchants USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant));
CREATE POLICY platform_access ON payment_merchants TO wuye_platform USING (true) WITH CHECK (true);

ALTER TABLE payment_orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON payment_orders USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant));
CREATE POLICY platform_access ON payment_orders TO wuye_platform USING (true) WITH CHECK (true);

ALTER TABLE payment_refunds ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_refunds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON payment_refunds USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant));
CREATE POLICY platform_access ON payment_refunds TO wuye_platform USING (true) WITH CHECK (true);

ALTER TABLE payment_reconciliations ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_reconciliations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON payment_reconciliations USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant));
CREATE POLICY platform_access ON payment_reconciliations TO wuye_platform USING (true) WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON payment_merchants, payment_orders, payment_refunds, payment_reconciliations TO wuye_app, wuye_platform;
