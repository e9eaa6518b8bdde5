-- Surveys, questions, recipients, responses and answers (see the postgres twin).
CREATE TABLE surveys (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    community_id TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    target_kind  TEXT NOT NULL,
    target_id    TEXT,
    target_tag   TEXT NOT NULL DEFAULT '',
    opens_on     DATE NOT NULL,
    closes_on    DATE NOT NULL,
    status       TEXT NOT NULL DEFAULT 'draft',
    recipients   INTEGER NOT NULL DEFAULT 0,
    published_at DATETIME,
    closed_at    DATETIME,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX surveys_status_idx ON surveys (tenant_id, status, closes_on);

CREATE TABLE survey_questions (
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    position  INTEGER NOT NULL,
    code      TEXT NOT NULL,
    kind      TEXT NOT NULL,
    text      TEXT NOT NULL,
    required  BOOLEAN NOT NULL DEFAULT 0,
    options   TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX survey_questions_code_idx ON survey_questions (tenant_id, survey_id, code);
-- Trends read one question code across surveys.
CREATE INDEX survey_questions_trend_idx ON survey_questions (tenant_id, code);

CREATE TABLE survey_recipients (
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    user_id   TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX survey_recipients_person_idx ON survey_recipients (tenant_id, survey_id, person_id);
CREATE INDEX survey_recipients_mine_idx ON survey_recipients (tenant_id, person_id);

CREATE TABLE survey_responses (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    survey_id    TEXT NOT NULL,
    person_id    TEXT,
    user_id      TEXT,
    channel      TEXT NOT NULL,
    entered_by   TEXT NOT NULL DEFAULT '',
    submitted_at DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- One answer per resident and survey.
CREATE UNIQUE INDEX survey_responses_person_idx ON survey_responses (tenant_id, survey_id, person_id);

CREATE TABLE survey_answers (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    survey_id   TEXT NOT NULL,
    response_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    option      TEXT,
    rating      INTEGER CHECK (rating BETWEEN 1 AND 5),
    text        TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX survey_answers_question_idx ON survey_answers (tenant_id, survey_id, question_id);
