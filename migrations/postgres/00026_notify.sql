-- Notifications: each tenant's template overrides, channel settings (SMTP,
-- SMS provider, quiet hours), users' channel preferences, the in-app inbox,
-- one row per channel delivery (the dedupe record and the delivery log),
-- webhook endpoints, and announcements with their recipients.
CREATE TABLE notify_templates (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    code       text NOT NULL,
    lang       text NOT NULL,
    channel    text NOT NULL,
    subject    text NOT NULL DEFAULT '',
    body       text NOT NULL,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX notify_templates_key_idx ON notify_templates (tenant_id, code, lang, channel);

CREATE TABLE notify_settings (
    tenant_id         uuid NOT NULL,
    quiet_start       text NOT NULL DEFAULT '',
    quiet_end         text NOT NULL DEFAULT '',
    default_lang      text NOT NULL DEFAULT 'zh',
    smtp_host         text NOT NULL DEFAULT '',
    smtp_port         integer NOT NULL DEFAULT 587,
    smtp_username     text NOT NULL DEFAULT '',
    smtp_password_enc text NOT NULL DEFAULT '',
    smtp_from         text NOT NULL DEFAULT '',
    smtp_from_name    text NOT NULL DEFAULT '',
    sms_provider      text NOT NULL DEFAULT '',
    sms_endpoint      text NOT NULL DEFAULT '',
    sms_region        text NOT NULL DEFAULT '',
    sms_access_key_id text NOT NULL DEFAULT '',
    sms_secret_enc    text NOT NULL DEFAULT '',
    sms_sign_name     text NOT NULL DEFAULT '',
    sms_templates     text NOT NULL DEFAULT '{}',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);

CREATE TABLE notify_preferences (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    channels    text NOT NULL DEFAULT '{}',
    quiet_start text NOT NULL DEFAULT '',
    quiet_end   text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX notify_preferences_user_idx ON notify_preferences (tenant_id, user_id);

CREATE TABLE notify_inbox (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    user_id    uuid NOT NULL,
    event      text NOT NULL,
    template   text NOT NULL,
    category   text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    link       text NOT NULL DEFAULT '',
    urgent     boolean NOT NULL DEFAULT false,
    read_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- One inbox entry per user and event, however often the event is sent.
CREATE UNIQUE INDEX notify_inbox_event_idx ON notify_inbox (tenant_id, event, user_id);
CREATE INDEX notify_inbox_user_idx ON notify_inbox (tenant_id, user_id, id);
CREATE INDEX notify_inbox_unread_idx ON notify_inbox (tenant_id, user_id) WHERE read_at IS NULL;

CREATE TABLE notify_deliveries (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    event        text NOT NULL,
    recipient    text NOT NULL,
    channel      text NOT NULL,
    template     text NOT NULL,
    lang         text NOT NULL,
    address_enc  text NOT NULL DEFAULT '',
    address_mask text NOT NULL DEFAULT '',
    subject      text NOT NULL DEFAULT '',
    body         text NOT NULL DEFAULT '',
    vars         text NOT NULL DEFAULT '{}',
    link         text NOT NULL DEFAULT '',
    status       text NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    provider_id  text NOT NULL DEFAULT '',
    not_before   timestamptz NOT NULL,
    sent_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- A delivery is never made twice for one event: one row per event, recipient and channel.
CREATE UNIQUE INDEX notify_deliveries_event_idx ON notify_deliveries (tenant_id, event, recipient, channel);
CREATE INDEX notify_deliveries_created_idx ON notify_deliveries (tenant_id, created_at);

CREATE TABLE webhook_endpoints (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    url         text NOT NULL,
    description text NOT NULL DEFAULT '',
    events      text NOT NULL DEFAULT '',
    secret_enc  text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE announcements (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    title         text NOT NULL,
    body          text NOT NULL,
    audience      text NOT NULL,
    community_id  uuid,
    building_id   uuid,
    tag           text NOT NULL DEFAULT '',
    urgent        boolean NOT NULL DEFAULT false,
    status        text NOT NULL,
    recipients    integer NOT NULL DEFAULT 0,
    created_by    text NOT NULL DEFAULT '',
    published_at  timestamptz,
    withdrawn_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX announcements_created_idx ON announcements (tenant_id, created_at);

CREATE TABLE announcement_recipients (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    announcement_id uuid NOT NULL,
    person_id       uuid NOT NULL,
    user_id         uuid,
    name            text NOT NULL DEFAULT '',
    read_at         timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX announcement_recipients_person_idx ON announcement_recipients (tenant_id, announcement_id, person_id);
CREATE INDEX announcement_recipients_user_idx ON announcement_recipients (tenant_id, user_id, announcement_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['notify_templates','notify_settings','notify_preferences','notify_inbox','notify_deliveries','webhook_endpoints','announcements','announcement_recipients'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
