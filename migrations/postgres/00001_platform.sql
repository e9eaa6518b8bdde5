-- The unprivileged role the application's tenant pool logs in as. It owns
-- nothing, so FORCE ROW LEVEL SECURITY binds it. Roles are per cluster: a
-- database administrator normally creates it (docs/operator.md); a migrating
-- login allowed to create roles creates it here, and one that is not gets an
-- error saying what to run.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wuye_app') THEN
        CREATE ROLE wuye_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'role wuye_app does not exist and % may not create it', current_user
        USING HINT = 'As a database administrator run once per cluster: CREATE ROLE wuye_app LOGIN PASSWORD ''…''; CREATE ROLE wuye_platform LOGIN PASSWORD ''…''; (see docs/operator.md)';
END $$;

ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO wuye_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO wuye_app;
GRANT USAGE ON SCHEMA public TO wuye_app;

-- A row is visible when it belongs to the transaction's tenant, or when the
-- transaction was opened by store.Platform for cross-tenant platform work.
CREATE FUNCTION wuye_tenant_visible(t uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t = NULLIF(current_setting('app.tenant_id', true), '')::uuid
        OR current_setting('app.platform', true) = 'on'
$$;
GRANT EXECUTE ON FUNCTION wuye_tenant_visible(uuid) TO wuye_app;

-- Plans: quotas a tenant is held to. 0 means unlimited.
CREATE TABLE plans (
    code            text PRIMARY KEY,
    name            text NOT NULL,
    max_communities integer NOT NULL DEFAULT 0,
    max_rooms       integer NOT NULL DEFAULT 0,
    max_users       integer NOT NULL DEFAULT 0,
    max_plugins     integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Tenants are the platform's own rows: no tenant_id, no RLS; only operators
-- and the platform code path read them.
CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL,
    status      text NOT NULL DEFAULT 'active',
    plan_code   text NOT NULL REFERENCES plans(code),
    settings    text NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX tenants_code_key ON tenants (code) WHERE deleted_at IS NULL;

INSERT INTO plans (code, name, max_communities, max_rooms, max_users, max_plugins) VALUES
    ('trial',      'Trial',      1,  500,   10,  2),
    ('standard',   'Standard',   5,  10000, 100, 6),
    ('enterprise', 'Enterprise', 0,  0,     0,   0);
