-- The audit log says what happened (issue 6 §5): the HTTP method and route
-- template, the object's type and id, the answer's status, whether the
-- request was a dry run, and what changed (JSON [{field, before, after}],
-- personal data masked). Older rows keep the defaults.

ALTER TABLE audit_log ADD COLUMN method      TEXT    NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN route       TEXT    NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN object_type TEXT    NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN object_id   TEXT    NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN status      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN dry_run     BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE audit_log ADD COLUMN changes     TEXT    NOT NULL DEFAULT '';

CREATE INDEX audit_log_object_idx ON audit_log (tenant_id, object_type, object_id, at DESC);
