-- Risk results (kept `risk.result_retention_days`, then purged).
-- No account, IP or device in clear: keyed hashes only.

CREATE TABLE risk_results (
    token        TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('register', 'login')),
    level        INTEGER NOT NULL CHECK (level BETWEEN 0 AND 4),
    decision     TEXT NOT NULL,
    risk_types   TEXT NOT NULL,
    reasons      TEXT NOT NULL,
    score        BIGINT NOT NULL,
    device_hash  TEXT,
    account_hash TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX risk_results_device ON risk_results(tenant_id, device_hash, created_at);
CREATE INDEX risk_results_expiry ON risk_results(expires_at);
