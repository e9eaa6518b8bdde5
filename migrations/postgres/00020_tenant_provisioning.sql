-- A tenant is inserted as 'provisioning' and made 'active' once its users,
-- roles and seed data have committed in its own scope (core/tenant,
-- provisioning): the platform and tenant pools cannot share a transaction.
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('provisioning', 'active', 'suspended', 'deleted'));
