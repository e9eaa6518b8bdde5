-- Suspension is shown to the operator with its reason and time, so it gets
-- real columns rather than a key inside settings. (SQLite cannot add a CHECK
-- constraint to an existing table; core/tenant only writes the three statuses.)
ALTER TABLE tenants ADD COLUMN suspended_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN suspended_at DATETIME;

-- The operator's list filters by status and plan.
CREATE INDEX tenants_status_idx ON tenants (status, plan_code);
