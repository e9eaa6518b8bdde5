-- The device registry (core/device): the gates, doors, lifts and cameras a
-- tenant registers, each run by one driver plugin. config is the driver's
-- connection settings (valid against its DriverInfo.device_schema);
-- secrets_enc holds the named secret values sealed with the key ring;
-- token_hash is the SHA-256 of the device's ingress token (the token itself is
-- shown once). heartbeat_seconds > 0 makes the core mark the device offline
-- after three silent periods; 0 leaves status to the driver's reports.
-- declared is the tenant manifest's declaration last applied to the device
-- (JSON), so each declaration is applied once.
CREATE TABLE devices (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    community_id      uuid NOT NULL,
    building_id       uuid,
    name              text NOT NULL,
    class             text NOT NULL,
    driver            text NOT NULL,
    place             text NOT NULL DEFAULT '',
    direction         text NOT NULL DEFAULT '' CHECK (direction IN ('', 'in', 'out')),
    config            text NOT NULL DEFAULT '{}',
    secrets_enc       text NOT NULL DEFAULT '',
    token_hash        text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'online', 'offline', 'fault')),
    status_detail     text NOT NULL DEFAULT '',
    last_seen_at      timestamptz,
    status_changed_at timestamptz,
    heartbeat_seconds integer NOT NULL DEFAULT 0 CHECK (heartbeat_seconds >= 0),
    declared          text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX devices_name_idx ON devices (tenant_id, name);
CREATE INDEX devices_driver_idx ON devices (tenant_id, driver);
CREATE INDEX devices_class_idx ON devices (tenant_id, class, community_id);
-- The sweeper's scan: devices that must report within a heartbeat.
CREATE INDEX devices_heartbeat_idx ON devices (last_seen_at) WHERE heartbeat_seconds > 0;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['devices'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
