-- Tenants, API keys (hashes only) and server settings.
-- Timestamps are Unix milliseconds (UTC) in every table, on every backend.
-- Same tables, columns and version numbers as migrations/sqlite.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    mode       TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    hash       TEXT NOT NULL UNIQUE,
    hint       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX api_keys_tenant ON api_keys(tenant_id);
