-- Verifications (codes only as keyed hashes), their attempts, the failover
-- mappings of the verification-code patent, send records for the limits and
-- the SMS-pumping guard, flash-call caller reservations and per-tenant
-- destination countries. Timestamps are Unix milliseconds (UTC).

CREATE TABLE verifications (
    id                   TEXT PRIMARY KEY NOT NULL,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone                TEXT NOT NULL,          -- E.164
    country              TEXT NOT NULL,
    carrier              TEXT NOT NULL,          -- '' when unknown
    purpose              TEXT NOT NULL,
    terminal_key         TEXT NOT NULL,          -- HMAC(tenant, device or phone, purpose)
    channel              TEXT NOT NULL,
    status               TEXT NOT NULL,
    code_hash            TEXT NOT NULL,          -- HMAC of the code (or flash caller), bound to id
    locale               TEXT NOT NULL,
    code_length          INTEGER NOT NULL,
    check_attempts       INTEGER NOT NULL,
    max_check_attempts   INTEGER NOT NULL,
    last_sent_at         BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL,
    flash_window_ends_at BIGINT,
    flash_prefix_hint    TEXT,
    app_hash             TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE INDEX verifications_phone ON verifications(tenant_id, phone, purpose, status, created_at);

CREATE TABLE verify_attempts (
    verification_id TEXT NOT NULL REFERENCES verifications(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    tenant_id       TEXT NOT NULL,
    terminal_key    TEXT NOT NULL,
    channel         TEXT NOT NULL,
    supplier_id     TEXT NOT NULL,
    carrier         TEXT NOT NULL,
    sent_at         BIGINT NOT NULL,
    delivery        TEXT NOT NULL,
    message_ref     TEXT,
    entered         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (verification_id, seq)
);

CREATE INDEX verify_attempts_terminal ON verify_attempts(tenant_id, terminal_key, sent_at);
CREATE INDEX verify_attempts_conversion ON verify_attempts(carrier, sent_at);
CREATE INDEX verify_attempts_ref ON verify_attempts(supplier_id, message_ref);

CREATE TABLE verify_failover (
    tenant_id    TEXT NOT NULL,
    terminal_key TEXT NOT NULL,
    supplier_id  TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, terminal_key, supplier_id)
);

CREATE TABLE verify_sends (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    at        BIGINT NOT NULL,
    phone     TEXT NOT NULL,
    ip_hash   TEXT,
    country   TEXT NOT NULL,
    prefix    TEXT NOT NULL
);

CREATE INDEX verify_sends_tenant ON verify_sends(tenant_id, at);
CREATE INDEX verify_sends_phone ON verify_sends(tenant_id, phone, at);
CREATE INDEX verify_sends_ip ON verify_sends(tenant_id, ip_hash, at);
CREATE INDEX verify_sends_country ON verify_sends(tenant_id, country, at);
CREATE INDEX verify_sends_prefix ON verify_sends(tenant_id, prefix, at);

CREATE TABLE flash_callers (
    pool            TEXT NOT NULL,
    caller          TEXT NOT NULL,
    verification_id TEXT NOT NULL,
    until           BIGINT NOT NULL,
    PRIMARY KEY (pool, caller)
);

CREATE INDEX flash_callers_verification ON flash_callers(verification_id);

CREATE TABLE verify_tenant_countries (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    countries TEXT NOT NULL                  -- JSON array of ISO 3166 codes
);
