-- Postgres twin: the status check gains 'provisioning'. SQLite has no such
-- constraint (see 00005), and provisions a tenant in one transaction anyway.
SELECT 1;
