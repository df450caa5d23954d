-- Carrier one-tap (issue 22). Sandbox carrier tokens are self-contained
-- (sealed, see phoneguard_suppliers::sandbox_carrier); what is kept is only the
-- keyed hash of each token exchanged, until the token expires, so a token is
-- exchanged once. Tenant AccessKey pairs of the Aliyun-compatible front: the
-- secret is needed to check signatures, so it is kept sealed with the master
-- key (AES-256-GCM, the key id as associated data), never in clear.

CREATE TABLE carrier_token_uses (
    token_hash TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX carrier_token_uses_expiry ON carrier_token_uses(expires_at);

CREATE TABLE tenant_access_keys (
    id         TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    mode       TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    secret     BLOB NOT NULL,            -- 0x01 ‖ nonce ‖ AES-256-GCM ciphertext
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX tenant_access_keys_tenant ON tenant_access_keys(tenant_id);
