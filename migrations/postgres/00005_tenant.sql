-- Suspension is shown to the operator with its reason and time, so it gets
-- real columns rather than a key inside settings.
ALTER TABLE tenants
    ADD COLUMN suspended_reason text NOT NULL DEFAULT '',
    ADD COLUMN suspended_at     timestamptz;

ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('active', 'suspended', 'deleted'));

-- The operator's list filters by status and plan.
CREATE INDEX tenants_status_idx ON tenants (status, plan_code);
