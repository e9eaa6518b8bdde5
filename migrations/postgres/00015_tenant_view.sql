-- The signed tenant of 00011, as a view instead of a function. Policies
-- read it as an uncorrelated subquery, which the planner makes part of the
-- statement: one probe of rls_keys and one SHA-256 per statement. The
-- SECURITY DEFINER plpgsql function cost about as much again as the
-- primary-key lookup it guarded (a function call, a query of its own, a
-- search_path change and back). The check is the same: the id counts only
-- with its signature, keyed by a secret the tenant role cannot read.
--
-- A view reads its tables with its owner's rights, so it reads rls_keys;
-- its callers get only the id they set, and only when it is signed. They
-- may SELECT it and nothing more (an auto-updatable view would let a DELETE
-- through to rls_keys: LIMIT makes it not updatable, and no role but the
-- owner holds any other privilege on it).
CREATE VIEW wuye_tenant WITH (security_barrier) AS
SELECT pg_catalog.current_setting('app.tenant_id', true)::uuid AS id
FROM rls_keys k
WHERE k.id = 1
  AND pg_catalog.encode(pg_catalog.sha256(k.key || pg_catalog.convert_to(pg_catalog.current_setting('app.tenant_id', true), 'UTF8')), 'hex')
      = pg_catalog.current_setting('app.tenant_sig', true)
LIMIT 1;
REVOKE ALL ON wuye_tenant FROM PUBLIC, wuye_app, wuye_platform;
GRANT SELECT ON wuye_tenant TO wuye_app, wuye_platform;

-- The function stays for anything written against it, answering from the view.
CREATE OR REPLACE FUNCTION wuye_current_tenant() RETURNS uuid
LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
    SELECT id FROM public.wuye_tenant
$$;
CREATE OR REPLACE FUNCTION wuye_tenant_visible(t uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT t = (SELECT id FROM public.wuye_tenant)
$$;

DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
             WHERE c.relnamespace = 'public'::regnamespace AND p.polname = 'tenant_isolation'
    LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
    END LOOP;
END $$;
DROP POLICY tenant_self ON tenants;
CREATE POLICY tenant_self ON tenants TO wuye_app USING (id = (SELECT id FROM wuye_tenant));
