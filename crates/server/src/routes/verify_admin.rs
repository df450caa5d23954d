//! Per-tenant verification settings (admin token): the destination countries
//! codes may go to, and the tenant's own message texts.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use phoneguard_core::verify::TenantTemplates;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// `/v1/admin/tenants/{id}/verify-countries`, `/v1/admin/tenants/{id}/verify-templates`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_tenant_countries))
        .routes(routes!(get_tenant_templates, put_tenant_templates))
}

/// A 404 unless the tenant exists.
async fn check_tenant(s: &AppState, id: &str) -> Result<(), ApiError> {
    if s.store().get_tenant(id).await?.is_none() {
        return Err(ApiError::not_found(format!("tenant {id} not found")));
    }
    Ok(())
}

/// Body of `PUT /v1/admin/tenants/{id}/verify-countries`; `null` restores the default.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountriesIn {
    /// ISO 3166 regions codes may go to, e.g. `["CN", "HK"]`; `null` for the default.
    #[schema(example = json!(["CN", "HK"]))]
    countries: Option<Vec<String>>,
}

/// A tenant's destination countries for codes.
#[derive(Serialize, ToSchema)]
pub struct CountriesOut {
    /// The tenant.
    tenant_id: String,
    /// ISO 3166 regions codes may go to.
    countries: Vec<String>,
}

/// Sets the destination countries a tenant may send codes to.
#[utoipa::path(put, path = "/v1/admin/tenants/{id}/verify-countries", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    request_body = CountriesIn,
    responses(
        (status = 200, description = "The countries now allowed.", body = CountriesOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn put_tenant_countries(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CountriesIn>,
) -> Result<Json<CountriesOut>, ApiError> {
    check_tenant(&s, &id).await?;
    let countries = s.verify.set_tenant_countries(&id, b.countries).await?;
    crate::audit::record(
        &s,
        "tenant.verify_countries",
        &id,
        None,
        Some(json!({"countries": countries})),
    )
    .await;
    Ok(Json(CountriesOut {
        tenant_id: id,
        countries,
    }))
}

/// A tenant's own verification texts (laid over `verify.templates` and `verify.app_name`).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantTemplatesDoc {
    /// The name put in `{app}`; unset: the configured `verify.app_name`.
    #[serde(default)]
    app_name: Option<String>,
    /// Texts keyed `sms.zh-CN`, `sms.en`, `voice.zh-CN`, `voice.en`; each must contain
    /// `{code}` and may use `{ttl_min}` and `{app}` (at most 480 characters).
    #[serde(default)]
    #[schema(example = json!({"sms.en": "{app}: {code} is your code, valid {ttl_min} min"}))]
    templates: BTreeMap<String, String>,
}

impl From<TenantTemplates> for TenantTemplatesDoc {
    fn from(t: TenantTemplates) -> Self {
        TenantTemplatesDoc {
            app_name: t.app_name,
            templates: t.templates,
        }
    }
}

impl From<TenantTemplatesDoc> for TenantTemplates {
    fn from(t: TenantTemplatesDoc) -> Self {
        TenantTemplates {
            app_name: t.app_name,
            templates: t.templates,
        }
    }
}

/// A tenant's own verification texts.
#[derive(Serialize, ToSchema)]
pub struct TemplatesOut {
    /// The tenant.
    tenant_id: String,
    /// Its own texts; `null` when it uses the configured ones.
    templates: Option<TenantTemplatesDoc>,
}

/// The tenant's own texts as stored (`null` when it has none).
async fn templates_out(s: &AppState, id: String) -> Result<Json<TemplatesOut>, ApiError> {
    let own = s.verify.tenant_templates(&id).await?;
    Ok(Json(TemplatesOut {
        tenant_id: id,
        templates: own.map(TenantTemplatesDoc::from),
    }))
}

#[utoipa::path(get, path = "/v1/admin/tenants/{id}/verify-templates", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    responses(
        (status = 200, description = "The tenant's own texts (`null`: the configured ones).", body = TemplatesOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_tenant_templates(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TemplatesOut>, ApiError> {
    check_tenant(&s, &id).await?;
    templates_out(&s, id).await
}

/// Body of `PUT /v1/admin/tenants/{id}/verify-templates`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatesIn {
    /// The tenant's texts; `null` restores the configured ones.
    templates: Option<TenantTemplatesDoc>,
}

#[utoipa::path(put, path = "/v1/admin/tenants/{id}/verify-templates", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    request_body = TemplatesIn,
    responses(
        (status = 200, description = "The tenant's texts now in force.", body = TemplatesOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn put_tenant_templates(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TemplatesIn>,
) -> Result<Json<TemplatesOut>, ApiError> {
    check_tenant(&s, &id).await?;
    let templates = b.templates.map(TenantTemplates::from);
    s.verify.set_tenant_templates(&id, templates).await?;
    templates_out(&s, id).await
}
