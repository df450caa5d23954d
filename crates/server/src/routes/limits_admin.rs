//! Limits of tenants and keys (admin token): `GET|PUT /v1/admin/tenants/{id}/limits`,
//! `GET|PUT /v1/admin/keys/{id}/limits`. A PUT replaces the settings; it
//! applies on this node at once and on others within `limits.settings_ttl_s`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use phoneguard_core::limits::{ApiCapability, LimitSettings};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit;
use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// `/v1/admin/tenants/{id}/limits`, `/v1/admin/keys/{id}/limits`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_tenant_limits, put_tenant_limits))
        .routes(routes!(get_key_limits, put_key_limits))
}

/// Who a subject id names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    Tenant,
    Key,
}

async fn check_exists(s: &AppState, kind: Subject, id: &str) -> Result<(), ApiError> {
    let found = match kind {
        Subject::Tenant => s.store().get_tenant(id).await?.is_some(),
        Subject::Key => s.store().get_api_key(id).await?.is_some(),
    };
    if found {
        Ok(())
    } else {
        let what = if kind == Subject::Tenant {
            "tenant"
        } else {
            "key"
        };
        Err(ApiError::not_found(format!("{what} {id} not found")))
    }
}

/// The stored settings and what applies per capability (`null`: unlimited).
async fn limits_out(s: &AppState, kind: Subject, id: &str) -> Result<Value, ApiError> {
    let own = s.limits.settings(id).await?;
    let defaults = s.limits.defaults();
    let mut rate = BTreeMap::new();
    let mut quota = BTreeMap::new();
    for cap in ApiCapability::ALL {
        let (r, q) = match kind {
            Subject::Tenant => (
                own.rate(cap)
                    .unwrap_or_else(|| defaults.rate_per_s.get(&cap).copied()),
                own.quota(cap)
                    .unwrap_or_else(|| defaults.daily_quota.get(&cap).copied()),
            ),
            Subject::Key => (own.rate(cap).flatten(), own.quota(cap).flatten()),
        };
        rate.insert(cap.as_str(), r);
        quota.insert(cap.as_str(), q);
    }
    Ok(json!({
        "id": id,
        "rate_per_s": own.rate_per_s,
        "daily_quota": own.daily_quota,
        "effective": {"rate_per_s": rate, "daily_quota": quota},
    }))
}

async fn put_limits(
    s: &AppState,
    kind: Subject,
    id: &str,
    body: LimitSettings,
) -> Result<Json<Value>, ApiError> {
    check_exists(s, kind, id).await?;
    body.validate()
        .map_err(|(field, message)| ApiError::invalid_field(&field, message))?;
    let before = s.limits.settings(id).await?;
    s.limits.put_settings(id, &body).await?;
    let action = match kind {
        Subject::Tenant => "tenant.limits",
        Subject::Key => "key.limits",
    };
    audit::record(s, action, id, audit::state(&*before), audit::state(&body)).await;
    Ok(Json(limits_out(s, kind, id).await?))
}

#[utoipa::path(get, path = "/v1/admin/tenants/{id}/limits", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    responses(
        (status = 200, description = "The tenant's limits.", body = crate::openapi::admin::LimitsOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_tenant_limits(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_exists(&s, Subject::Tenant, &id).await?;
    Ok(Json(limits_out(&s, Subject::Tenant, &id).await?))
}

#[utoipa::path(put, path = "/v1/admin/tenants/{id}/limits", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    request_body = crate::openapi::admin::LimitSettingsDoc,
    responses(
        (status = 200, description = "The tenant's limits as now stored.", body = crate::openapi::admin::LimitsOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn put_tenant_limits(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LimitSettings>,
) -> Result<Json<Value>, ApiError> {
    put_limits(&s, Subject::Tenant, &id, body).await
}

#[utoipa::path(get, path = "/v1/admin/keys/{id}/limits", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Key id (`key_…`).")),
    responses(
        (status = 200, description = "The key's limits.", body = crate::openapi::admin::LimitsOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_key_limits(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_exists(&s, Subject::Key, &id).await?;
    Ok(Json(limits_out(&s, Subject::Key, &id).await?))
}

#[utoipa::path(put, path = "/v1/admin/keys/{id}/limits", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Key id (`key_…`).")),
    request_body = crate::openapi::admin::LimitSettingsDoc,
    responses(
        (status = 200, description = "The key's limits as now stored.", body = crate::openapi::admin::LimitsOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn put_key_limits(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LimitSettings>,
) -> Result<Json<Value>, ApiError> {
    put_limits(&s, Subject::Key, &id, body).await
}
