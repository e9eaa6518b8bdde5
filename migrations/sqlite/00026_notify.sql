-- Notifications (see the postgres twin).
CREATE TABLE notify_templates (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    code       TEXT NOT NULL,
    lang       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX notify_templates_key_idx ON notify_templates (tenant_id, code, lang, channel);

CREATE TABLE notify_settings (
    tenant_id         TEXT NOT NULL,
    quiet_start       TEXT NOT NULL DEFAULT '',
    quiet_end         TEXT NOT NULL DEFAULT '',
    default_lang      TEXT NOT NULL DEFAULT 'zh',
    smtp_host         TEXT NOT NULL DEFAULT '',
    smtp_port         INTEGER NOT NULL DEFAULT 587,
    smtp_username     TEXT NOT NULL DEFAULT '',
    smtp_password_enc TEXT NOT NULL DEFAULT '',
    smtp_from         TEXT NOT NULL DEFAULT '',
    smtp_from_name    TEXT NOT NULL DEFAULT '',
    sms_provider      TEXT NOT NULL DEFAULT '',
    sms_endpoint      TEXT NOT NULL DEFAULT '',
    sms_region        TEXT NOT NULL DEFAULT '',
    sms_access_key_id TEXT NOT NULL DEFAULT '',
    sms_secret_enc    TEXT NOT NULL DEFAULT '',
    sms_sign_name     TEXT NOT NULL DEFAULT '',
    sms_templates     TEXT NOT NULL DEFAULT '{}',
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id)
);

CREATE TABLE notify_preferences (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    channels    TEXT NOT NULL DEFAULT '{}',
    quiet_start TEXT NOT NULL DEFAULT '',
    quiet_end   TEXT NOT NULL DEFAULT '',
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX notify_preferences_user_idx ON notify_preferences (tenant_id, user_id);

CREATE TABLE notify_inbox (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    event      TEXT NOT NULL,
    template   TEXT NOT NULL,
    category   TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT NOT NULL DEFAULT '',
    urgent     BOOLEAN NOT NULL DEFAULT 0,
    read_at    DATETIME,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
-- One inbox entry per user and event, however often the event is sent.
CREATE UNIQUE INDEX notify_inbox_event_idx ON notify_inbox (tenant_id, event, user_id);
CREATE INDEX notify_inbox_user_idx ON notify_inbox (tenant_id, user_id, id);
CREATE INDEX notify_inbox_unread_idx ON notify_inbox (tenant_id, user_id) WHERE read_at IS NULL;

CREATE TABLE notify_deliveries (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    event        TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    template     TEXT NOT NULL,
    lang         TEXT NOT NULL,
    address_enc  TEXT NOT NULL DEFAULT '',
    address_mask TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    vars         TEXT NOT NULL DEFAULT '{}',
    link         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    provider_id  TEXT NOT NULL DEFAULT '',
    not_before   DATETIME NOT NULL,
    sent_at      DATETIME,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
-- A delivery is never made twice for one event: one row per event, recipient and channel.
CREATE UNIQUE INDEX notify_deliveries_event_idx ON notify_deliveries (tenant_id, event, recipient, channel);
CREATE INDEX notify_deliveries_created_idx ON notify_deliveries (tenant_id, created_at);

CREATE TABLE webhook_endpoints (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    url         TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    events      TEXT NOT NULL DEFAULT '',
    secret_enc  TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE announcements (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    audience      TEXT NOT NULL,
    community_id  TEXT,
    building_id   TEXT,
    tag           TEXT NOT NULL DEFAULT '',
    urgent        BOOLEAN NOT NULL DEFAULT 0,
    status        TEXT NOT NULL,
    recipients    INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL DEFAULT '',
    published_at  DATETIME,
    withdrawn_at  DATETIME,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX announcements_created_idx ON announcements (tenant_id, created_at);

CREATE TABLE announcement_recipients (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    announcement_id TEXT NOT NULL,
    person_id       TEXT NOT NULL,
    user_id         TEXT,
    name            TEXT NOT NULL DEFAULT '',
    read_at         DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX announcement_recipients_person_idx ON announcement_recipients (tenant_id, announcement_id, person_id);
CREATE INDEX announcement_recipients_user_idx ON announcement_recipients (tenant_id, user_id, announcement_id);
