-- Device identity (issue 21): publishable keys (hashes only) and the devices
-- phoneguard issued ids to, with the keyed hashes of their fingerprints.

CREATE TABLE publishable_keys (
    id              TEXT PRIMARY KEY NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    live            INTEGER NOT NULL CHECK (live IN (0, 1)),
    hash            TEXT NOT NULL UNIQUE,
    hint            TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);

CREATE INDEX publishable_keys_tenant ON publishable_keys(tenant_id);

CREATE TABLE devices (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    signals     TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE device_fingerprints (
    tenant_id   TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint, device_id),
    FOREIGN KEY (tenant_id, device_id) REFERENCES devices(tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX device_fingerprints_device ON device_fingerprints(tenant_id, device_id);
