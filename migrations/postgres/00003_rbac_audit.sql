-- Custom roles of a tenant: a name and a set of catalogue permissions (JSON
-- array). Built-in roles live in code (core/rbac), not here.
CREATE TABLE roles (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    permissions text NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX roles_tenant_name_key ON roles (tenant_id, name);
ALTER TABLE roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON roles
    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));

-- Which user holds which role (built-in or custom, by name) in a tenant.
CREATE TABLE user_roles (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    user_id    uuid NOT NULL,
    role       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX user_roles_user_role_key ON user_roles (tenant_id, user_id, role);
CREATE INDEX user_roles_role_idx ON user_roles (tenant_id, role);
ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_roles
    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));

-- One row per tenant, bumped in the same transaction as every change to its
-- roles or assignments; every wuye process polls it to refresh its in-memory
-- casbin enforcer.
CREATE TABLE rbac_versions (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX rbac_versions_tenant_key ON rbac_versions (tenant_id);
CREATE INDEX rbac_versions_updated_idx ON rbac_versions (updated_at);
ALTER TABLE rbac_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE rbac_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON rbac_versions
    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));

-- The audit log. Platform events carry the nil uuid as tenant_id: no tenant's
-- app.tenant_id is ever nil, so only Platform transactions see them.
CREATE TABLE audit_log (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    at         timestamptz NOT NULL,
    actor_kind text NOT NULL,
    actor_id   uuid NOT NULL,
    actor_name text NOT NULL DEFAULT '',
    action     text NOT NULL,
    object     text NOT NULL DEFAULT '',
    result     text NOT NULL,
    detail     text NOT NULL DEFAULT '',
    ip         text NOT NULL DEFAULT '',
    request_id text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_tenant_at_idx ON audit_log (tenant_id, at DESC);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (wuye_tenant_visible(tenant_id)) WITH CHECK (wuye_tenant_visible(tenant_id));

-- Append-only: the app role may not change or remove entries, and a trigger
-- stops even the owner from doing it by accident.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM wuye_app;
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
