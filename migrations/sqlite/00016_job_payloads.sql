-- The input of a queued job (a large import's parsed rows), kept in the
-- database so the job survives a restart; deleted when the job ends.
CREATE TABLE job_payloads (
    tenant_id  TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    body       BLOB NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, job_id)
);
