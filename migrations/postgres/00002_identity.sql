-- Identity: platform operators (platform rows, no RLS), tenant users, refresh
-- tokens and API keys (tenant-owned, RLS). Operators' refresh tokens live in
-- refresh_tokens under the nil tenant, which only store.Platform can see.

CREATE TABLE operators (
    id            uuid PRIMARY KEY,
    username      text NOT NULL,
    name          text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'active',
    password_hash text NOT NULL,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX operators_username_key ON operators (username);

CREATE TABLE users (
    tenant_id           uuid NOT NULL,
    id                  uuid NOT NULL,
    username            text NOT NULL,
    name                text NOT NULL DEFAULT '',
    phone               text NOT NULL DEFAULT '',
    email               text NOT NULL DEFAULT '',
    kind                text NOT NULL DEFAULT 'staff',
    status              text NOT NULL DEFAULT 'active',
    password_hash       text NOT NULL,
    failed_logins       integer NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    last_login_at       timestamptz,
    password_changed_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_username_key ON users (tenant_id, username);
CREATE UNIQUE INDEX users_phone_key ON users (tenant_id, phone) WHERE phone <> '';
CREATE UNIQUE INDEX users_email_key ON users (tenant_id, email) WHERE email <> '';
-- Login runs before the tenant is known: it looks a login up across tenants.
CREATE INDEX users_login_username ON users (username);
CREATE INDEX users_login_phone ON users (phone) WHERE phone <> '';
CREATE INDEX users_login_email ON users (email) WHERE email <> '';
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));

CREATE TABLE refresh_tokens (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    family_id    uuid NOT NULL,
    subject_kind text NOT NULL,
    subject_id   uuid NOT NULL,
    token_hash   text NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (tenant_id, token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_subject ON refresh_tokens (tenant_id, subject_id);
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));

CREATE TABLE api_keys (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     text NOT NULL,
    roles        text NOT NULL DEFAULT '[]',
    created_by   uuid NOT NULL,
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- A key names its id, not its tenant: verification finds it by id alone.
CREATE INDEX api_keys_id ON api_keys (id);
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));
