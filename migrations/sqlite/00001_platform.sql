CREATE TABLE plans (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    max_communities INTEGER NOT NULL DEFAULT 0,
    max_rooms       INTEGER NOT NULL DEFAULT 0,
    max_users       INTEGER NOT NULL DEFAULT 0,
    max_plugins     INTEGER NOT NULL DEFAULT 0,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active',
    plan_code   TEXT NOT NULL REFERENCES plans(code),
    settings    TEXT NOT NULL DEFAULT '{}',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at  DATETIME
);
CREATE UNIQUE INDEX tenants_code_key ON tenants (code) WHERE deleted_at IS NULL;

INSERT INTO plans (code, name, max_communities, max_rooms, max_users, max_plugins) VALUES
    ('trial',      'Trial',      1,  500,   10,  2),
    ('standard',   'Standard',   5,  10000, 100, 6),
    ('enterprise', 'Enterprise', 0,  0,     0,   0);
