-- Satisfaction surveys (满意度调查): a survey's questions, the residents it
-- was sent to (fixed when it is published), their responses (one per
-- person, by a unique index; paper questionnaires entered by staff have no
-- person) and each response's answers, one row per chosen option, rating
-- or text, so results are counted by the database.
CREATE TABLE surveys (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    community_id uuid NOT NULL,
    title        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    target_kind  text NOT NULL,
    target_id    uuid,
    target_tag   text NOT NULL DEFAULT '',
    opens_on     date NOT NULL,
    closes_on    date NOT NULL,
    status       text NOT NULL DEFAULT 'draft',
    recipients   integer NOT NULL DEFAULT 0,
    published_at timestamptz,
    closed_at    timestamptz,
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX surveys_status_idx ON surveys (tenant_id, status, closes_on);

CREATE TABLE survey_questions (
    tenant_id uuid NOT NULL,
    id        uuid NOT NULL,
    survey_id uuid NOT NULL,
    position  integer NOT NULL,
    code      text NOT NULL,
    kind      text NOT NULL,
    text      text NOT NULL,
    required  boolean NOT NULL DEFAULT false,
    options   text NOT NULL DEFAULT '[]',
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX survey_questions_code_idx ON survey_questions (tenant_id, survey_id, code);
-- Trends read one question code across surveys.
CREATE INDEX survey_questions_trend_idx ON survey_questions (tenant_id, code);

CREATE TABLE survey_recipients (
    tenant_id uuid NOT NULL,
    id        uuid NOT NULL,
    survey_id uuid NOT NULL,
    person_id uuid NOT NULL,
    user_id   uuid,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX survey_recipients_person_idx ON survey_recipients (tenant_id, survey_id, person_id);
CREATE INDEX survey_recipients_mine_idx ON survey_recipients (tenant_id, person_id);

CREATE TABLE survey_responses (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    survey_id    uuid NOT NULL,
    person_id    uuid,
    user_id      uuid,
    channel      text NOT NULL,
    entered_by   text NOT NULL DEFAULT '',
    submitted_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- One answer per resident and survey.
CREATE UNIQUE INDEX survey_responses_person_idx ON survey_responses (tenant_id, survey_id, person_id);

CREATE TABLE survey_answers (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    survey_id   uuid NOT NULL,
    response_id uuid NOT NULL,
    question_id uuid NOT NULL,
    option      text,
    rating      integer CHECK (rating BETWEEN 1 AND 5),
    text        text,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX survey_answers_question_idx ON survey_answers (tenant_id, survey_id, question_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['surveys','survey_questions','survey_recipients','survey_responses','survey_answers'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT id FROM wuye_tenant)) WITH CHECK (tenant_id = (SELECT id FROM wuye_tenant))', t);
        EXECUTE format('CREATE POLICY platform_access ON %I TO wuye_platform USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
