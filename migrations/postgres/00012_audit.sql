-- The audit log says what happened (issue 6 §5): the HTTP method and route
-- template, the object's type and id, the answer's status, whether the
-- request was a dry run, and what changed (JSON [{field, before, after}],
-- personal data masked). Older rows keep the defaults.

ALTER TABLE audit_log ADD COLUMN method      text    NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN route       text    NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN object_type text    NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN object_id   text    NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN status      integer NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN dry_run     boolean NOT NULL DEFAULT false;
ALTER TABLE audit_log ADD COLUMN changes     text    NOT NULL DEFAULT '';

-- "Everything that happened to this object" is the question the filter asks most.
CREATE INDEX audit_log_object_idx ON audit_log (tenant_id, object_type, object_id, at DESC);
