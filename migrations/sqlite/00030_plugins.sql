-- The plugin catalogue (platform) and each tenant's enablement (see the
-- postgres twin).
CREATE TABLE plugin_versions (
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    api_version   INTEGER NOT NULL,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
    manifest      TEXT NOT NULL,
    retired_at    DATETIME,
    registered_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (name, version)
);

CREATE TABLE tenant_plugins (
    tenant_id        TEXT NOT NULL,
    name             TEXT NOT NULL,
    version          TEXT NOT NULL,
    previous_version TEXT NOT NULL DEFAULT '',
    enabled          BOOLEAN NOT NULL DEFAULT 1,
    config           TEXT NOT NULL DEFAULT '{}',
    secrets_enc      TEXT NOT NULL DEFAULT '',
    declared         TEXT NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, name)
);
CREATE INDEX tenant_plugins_version_idx ON tenant_plugins (name, version);
