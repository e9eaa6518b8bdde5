-- The plugin catalogue and each tenant's enablement of it.
--
-- plugin_versions is a platform table (the operator's catalogue, like plans):
-- one row per registered binary, keyed by the name and version its manifest
-- declares. The manifest is kept (protojson) so permissions, routes,
-- subscriptions and pages are known without running the plugin. Like the
-- operators table it is out of the tenant role's reach: the catalogue reads
-- it through the platform pool and shows tenants what they may see.
CREATE TABLE plugin_versions (
    name          text NOT NULL,
    version       text NOT NULL,
    kind          text NOT NULL,
    api_version   integer NOT NULL,
    path          text NOT NULL,
    sha256        text NOT NULL CHECK (length(sha256) = 64),
    manifest      text NOT NULL,
    retired_at    timestamptz,
    registered_at timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);
REVOKE ALL ON plugin_versions FROM wuye_app;

-- tenant_plugins: what a tenant runs of a plugin. Disabling keeps the row
-- (and the plugin's records); version is the pinned one, previous_version the
-- one an upgrade or rollback left, for the next rollback. secrets_enc holds
-- the manifest's secret values sealed with the personal-data keyring;
-- declared is the tenant manifest's declaration last applied, so a boot or
-- re-apply only acts when the declaration changed (the admin's later changes
-- stand until then).
CREATE TABLE tenant_plugins (
    tenant_id        uuid NOT NULL,
    name             text NOT NULL,
    version          text NOT NULL,
    previous_version text NOT NULL DEFAULT '',
    enabled          boolean NOT NULL DEFAULT true,
    config           text NOT NULL DEFAULT '{}',
    secrets_enc      text NOT NULL DEFAULT '',
    declared         text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
-- Retiring a version asks which tenants are pinned to it.
CREATE INDEX tenant_plugins_version_idx ON tenant_plugins (name, version);

ALTER TABLE tenant_plugins ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_plugins FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_plugins USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant));
CREATE POLICY platform_access ON tenant_plugins TO wuye_platform USING (true) WITH CHECK (true);
