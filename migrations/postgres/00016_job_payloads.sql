-- The input of a queued job (a large import's parsed rows), kept in the
-- database so whichever node picks the task (a `wuye worker`, another
-- server, this one after a restart) can run it. Written with the job in one
-- transaction; deleted when the job ends.
CREATE TABLE job_payloads (
    tenant_id  uuid NOT NULL,
    job_id     uuid NOT NULL,
    body       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job_id)
);

ALTER TABLE job_payloads ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_payloads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_payloads USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant));
CREATE POLICY platform_access ON job_payloads TO wuye_platform USING (true) WITH CHECK (true);
