-- Device events (core/device/stream): the log drivers append to and the
-- dispatcher reads per (tenant, feature plugin) after a cursor. The queue's
-- outbox is too slow for thousands of events a second; this is their path.
--
-- seq orders the log. One writer per process appends in batches, so seq
-- grows in commit order within a process. dedup_key is the driver's key:
-- (tenant, device, type, key) is unique when the key is not empty.
CREATE TABLE device_events (
    seq         bigserial NOT NULL,
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    device_id   uuid NOT NULL,
    type        text NOT NULL,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    dedup_key   text NOT NULL DEFAULT '',
    payload     text NOT NULL,
    picture_id  uuid,
    PRIMARY KEY (seq)
);
CREATE UNIQUE INDEX device_events_id_idx ON device_events (tenant_id, id);
CREATE UNIQUE INDEX device_events_key_idx ON device_events (tenant_id, device_id, type, dedup_key) WHERE dedup_key <> '';
CREATE INDEX device_events_tenant_seq_idx ON device_events (tenant_id, seq);
CREATE INDEX device_events_received_idx ON device_events (received_at);

-- device_event_cursors: how far each subscribed plugin of a tenant has had
-- every event delivered.
CREATE TABLE device_event_cursors (
    tenant_id  uuid NOT NULL,
    plugin     text NOT NULL,
    seq        bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, plugin)
);

-- device_event_failures: an event a plugin kept refusing, skipped so the
-- stream goes on.
CREATE TABLE device_event_failures (
    tenant_id  uuid NOT NULL,
    plugin     text NOT NULL,
    event_id   uuid NOT NULL,
    seq        bigint NOT NULL,
    type       text NOT NULL,
    attempts   integer NOT NULL,
    error      text NOT NULL DEFAULT '',
    failed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, plugin, event_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['device_events','device_event_cursors','device_event_failures'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
