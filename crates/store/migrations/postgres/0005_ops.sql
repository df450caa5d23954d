-- Operations: limit settings of tenants and keys, daily usage counters and the
-- audit log of admin changes (before/after with secrets redacted).
-- Timestamps are Unix milliseconds (UTC); days are YYYY-MM-DD (UTC).

CREATE TABLE limit_settings (
    subject_id TEXT PRIMARY KEY NOT NULL,  -- ten_… or key_…
    settings   TEXT NOT NULL,              -- JSON {"rate_per_s": {…}, "daily_quota": {…}}
    updated_at BIGINT NOT NULL
);

CREATE TABLE usage_daily (
    tenant_id  TEXT NOT NULL,
    day        TEXT NOT NULL,
    capability TEXT NOT NULL,
    calls      BIGINT NOT NULL,
    billable   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, capability)
);

CREATE INDEX usage_daily_day ON usage_daily(day);

CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    request_id  TEXT
);

-- Supplier costs per tenant and day are summed from the call records.
CREATE INDEX supplier_calls_tenant_at ON supplier_calls(tenant_id, at);
