-- Identity: platform operators (platform rows, no RLS), tenant users, refresh
-- tokens and API keys (tenant-owned, RLS). Operators' refresh tokens live in
-- refresh_tokens under the nil tenant.

CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'active',
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  DATETIME,
    last_login_at DATETIME,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX operators_username_key ON operators (username);

CREATE TABLE users (
    tenant_id           TEXT NOT NULL,
    id                  TEXT NOT NULL,
    username            TEXT NOT NULL,
    name                TEXT NOT NULL DEFAULT '',
    phone               TEXT NOT NULL DEFAULT '',
    email               TEXT NOT NULL DEFAULT '',
    kind                TEXT NOT NULL DEFAULT 'staff',
    status              TEXT NOT NULL DEFAULT 'active',
    password_hash       TEXT NOT NULL,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        DATETIME,
    last_login_at       DATETIME,
    password_changed_at DATETIME,
    created_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_username_key ON users (tenant_id, username);
CREATE UNIQUE INDEX users_phone_key ON users (tenant_id, phone) WHERE phone <> '';
CREATE UNIQUE INDEX users_email_key ON users (tenant_id, email) WHERE email <> '';
-- Login runs before the tenant is known: it looks a login up across tenants.
CREATE INDEX users_login_username ON users (username);
CREATE INDEX users_login_phone ON users (phone) WHERE phone <> '';
CREATE INDEX users_login_email ON users (email) WHERE email <> '';

CREATE TABLE refresh_tokens (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    family_id    TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    expires_at   DATETIME NOT NULL,
    revoked_at   DATETIME,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (tenant_id, token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_subject ON refresh_tokens (tenant_id, subject_id);

CREATE TABLE api_keys (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    roles        TEXT NOT NULL DEFAULT '[]',
    created_by   TEXT NOT NULL,
    last_used_at DATETIME,
    expires_at   DATETIME,
    revoked_at   DATETIME,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
-- A key names its id, not its tenant: verification finds it by id alone.
CREATE INDEX api_keys_id ON api_keys (id);
