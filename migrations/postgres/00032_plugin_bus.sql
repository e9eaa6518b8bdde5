-- The plugin bus (core/pluginhost/bus): what events and tasks between the core
-- and plugins need besides the queue's outbox, which carries every delivery.
--
-- plugin_events remembers the idempotency key of each event a plugin
-- published, so a repeated key publishes nothing new (rows older than the
-- bus's retention are swept; the event id is derived from the key, so a late
-- repeat still carries the id subscribers de-duplicate on).
CREATE TABLE plugin_events (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    plugin     text NOT NULL,
    key        text NOT NULL,
    type       text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX plugin_events_key_idx ON plugin_events (tenant_id, plugin, key);
CREATE INDEX plugin_events_created_idx ON plugin_events (created_at);

-- plugin_tasks holds a plugin's one-off tasks (Host.ScheduleTask) until they
-- run: one row per key, and token names the latest scheduling, so the queue
-- task of a replaced or cancelled one finds nothing to run.
CREATE TABLE plugin_tasks (
    tenant_id  uuid NOT NULL,
    plugin     text NOT NULL,
    key        text NOT NULL,
    token      uuid NOT NULL,
    name       text NOT NULL,
    payload    text NOT NULL DEFAULT '{}',
    run_at     timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, plugin, key)
);

-- plugin_task_slots is the latest claimed slot of each periodic task of a
-- tenant's plugin (Manifest.tasks): claiming a slot moves it forward in the
-- transaction that queues the run, so among several processes one runs each
-- slot, and a process that was down runs the latest missed slot once.
CREATE TABLE plugin_task_slots (
    tenant_id  uuid NOT NULL,
    plugin     text NOT NULL,
    name       text NOT NULL,
    slot_at    timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, plugin, name)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['plugin_events','plugin_tasks','plugin_task_slots'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
