-- Admin sessions of /dashboard: only the SHA-256 of the cookie's random id is kept.
CREATE TABLE dashboard_sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions(expires_at);
CREATE INDEX risk_results_created ON risk_results(created_at);
CREATE INDEX verifications_created ON verifications(created_at);
CREATE INDEX verify_attempts_sent ON verify_attempts(sent_at);
