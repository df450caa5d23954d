-- A tenant's own verification message texts and app name, laid over the
-- configured ones (PUT /v1/admin/tenants/{id}/verify-templates).
CREATE TABLE verify_tenant_templates (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    templates TEXT NOT NULL                  -- JSON: {"app_name": …, "templates": {"sms.en": …}}
);
