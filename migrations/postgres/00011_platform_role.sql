-- Platform access by role, not by a setting. Until now the policies let any
-- connection that ran SET app.platform = 'on' see every tenant, and the
-- tenant role could read operators' password hashes. Now:
--   wuye_app       the tenant pool's login: sees the rows of the tenant named
--                  by the transaction-local app.tenant_id and nothing else,
--                  whatever it sets; no grant on operator tables at all.
--   wuye_platform  the platform pool's login (operator work, sign-in lookup,
--                  outbox relay, scheduler): a policy of its own shows it every
--                  row. wuye_app is not a member of it and cannot SET ROLE to it.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wuye_platform') THEN
        CREATE ROLE wuye_platform LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'role wuye_platform does not exist and % may not create it', current_user
        USING HINT = 'As a database administrator run once per cluster: CREATE ROLE wuye_platform LOGIN PASSWORD ''…''; (see docs/operator.md)';
END $$;

-- The tenant of a transaction is app.tenant_id only when app.tenant_sig
-- proves the core chose it: the hex SHA-256 of a key the tenant role cannot
-- read, followed by the tenant id. An injected set_config of another
-- tenant's id therefore shows nothing. The key is made here from the
-- server's strong random source (gen_random_uuid) and read at start by the
-- platform pool; the tenant pool has no grant on it.
CREATE TABLE rls_keys (
    id  integer PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL
);
INSERT INTO rls_keys VALUES (1, uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));
REVOKE ALL ON rls_keys FROM wuye_app;

-- SECURITY DEFINER: it reads rls_keys with its owner's rights. Policies call
-- it as a scalar subquery, so it runs once per statement, not once per row.
CREATE FUNCTION wuye_current_tenant() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    t   text := current_setting('app.tenant_id', true);
    sig text := current_setting('app.tenant_sig', true);
    k   bytea;
BEGIN
    IF t IS NULL OR t = '' OR sig IS NULL OR sig = '' THEN
        RETURN NULL;
    END IF;
    SELECT key INTO k FROM rls_keys WHERE id = 1;
    IF encode(sha256(k || convert_to(t, 'UTF8')), 'hex') <> sig THEN
        RETURN NULL;
    END IF;
    RETURN t::uuid;
END $$;
REVOKE ALL ON FUNCTION wuye_current_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wuye_current_tenant() TO wuye_app, wuye_platform;

-- Kept for policies written against it; no longer honours app.platform.
CREATE OR REPLACE FUNCTION wuye_tenant_visible(t uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t = wuye_current_tenant()
$$;

GRANT USAGE ON SCHEMA public TO wuye_platform;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO wuye_platform;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO wuye_platform;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO wuye_platform;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO wuye_platform;
REVOKE ALL ON schema_migrations, rls_keys FROM wuye_platform;
GRANT SELECT ON rls_keys TO wuye_platform;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM wuye_platform;

-- Every tenant table: tenant_isolation rewritten on the signed tenant, plus
-- platform_access for wuye_platform. A table added later gets the same two
-- policies (TestEveryTenantTableHasRLS checks it).
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relrowsecurity
    LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT wuye_current_tenant())) WITH CHECK (tenant_id = (SELECT wuye_current_tenant()))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;

-- Platform tables. tenants: a tenant transaction reads its own row (plan,
-- settings) and changes none; plans: readable, not writable; operators and
-- the scheduler's slots: out of the tenant role's reach.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON tenants, plans FROM wuye_app;
REVOKE ALL ON operators, schedule_runs FROM wuye_app;
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_self ON tenants TO wuye_app USING (id = (SELECT wuye_current_tenant()));
CREATE POLICY platform_access ON tenants TO wuye_platform USING (true) WITH CHECK (true);
