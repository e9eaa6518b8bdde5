-- Token revocation: when an account's sessions all end (disabled, password
-- reset or changed), sessions_revoked_at is set, and access tokens issued
-- before it are refused. It is stored rounded up to a whole second, because
-- a JWT's iat is whole seconds: iat < sessions_revoked_at means "issued
-- before". API nodes poll recent values (identity.Service.PollRevocations).

ALTER TABLE users ADD COLUMN sessions_revoked_at DATETIME;
ALTER TABLE operators ADD COLUMN sessions_revoked_at DATETIME;

-- The poll reads only recent revocations; few rows ever have one.
CREATE INDEX users_sessions_revoked_at ON users (sessions_revoked_at) WHERE sessions_revoked_at IS NOT NULL;
CREATE INDEX operators_sessions_revoked_at ON operators (sessions_revoked_at) WHERE sessions_revoked_at IS NOT NULL;
