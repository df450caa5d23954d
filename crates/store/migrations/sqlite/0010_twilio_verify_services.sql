-- Twilio Verify v2 services (POST /v2/Services): the app name and code length
-- of a tenant's Twilio-path verifications. A Twilio-path verification is an
-- ordinary row of verifications whose purpose is the service's sid; account,
-- key and verification sids are the hex of the tenant, key and verification
-- ids (AC…, SK…, VE…), so they need no column.
CREATE TABLE twilio_verify_services (
    sid           TEXT PRIMARY KEY NOT NULL,              -- VA + 32 hex
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    friendly_name TEXT NOT NULL,
    code_length   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX twilio_verify_services_tenant ON twilio_verify_services(tenant_id, created_at);
