-- Suppliers (credentials only as AES-256-GCM blobs), sandbox subscribers
-- (names and ID numbers only as keyed hashes) and supplier call records
-- (no number, name or ID number). Timestamps are Unix milliseconds (UTC).
-- JSON is kept as TEXT, as on SQLite, so both backends decode the same rows.

CREATE TABLE suppliers (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    capabilities TEXT NOT NULL,            -- JSON array of capability codes
    carriers     TEXT NOT NULL,            -- JSON array of carrier codes
    weight       INTEGER NOT NULL CHECK (weight > 0),
    price_milli  INTEGER NOT NULL CHECK (price_milli >= 0),
    enabled      BOOLEAN NOT NULL,
    options      TEXT NOT NULL,            -- JSON object
    credentials  BYTEA,                    -- 0x01 ‖ nonce ‖ AES-256-GCM ciphertext
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE sandbox_subscribers (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    number_hash     TEXT NOT NULL,
    status          TEXT,
    name_md5_mac    TEXT,
    name_sha256_mac TEXT,
    id_md5_mac      TEXT,
    id_sha256_mac   TEXT,
    tenure_months   INTEGER,
    ported_to       TEXT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, number_hash)
);

CREATE TABLE supplier_calls (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    tenant_id   TEXT NOT NULL,
    supplier_id TEXT NOT NULL,
    capability  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    latency_us  BIGINT NOT NULL,
    price_milli BIGINT NOT NULL
);

CREATE INDEX supplier_calls_at ON supplier_calls(at);
