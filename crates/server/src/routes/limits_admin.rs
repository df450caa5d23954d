//! Limits of tenants and keys (admin token): `GET|PUT /v1/admin/tenants/{id}/limits`,
//! `GET|PUT /v1/admin/keys/{id}/limits`. A PUT replaces the settings; it
//! applies on this node at once and on others within `limits.settings_ttl_s`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use phoneguard_core::limits::{ApiCapability, LimitSettings};
use serde::Serialize;
use utoipa::ToSchema;
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

/// Rate limits (requests per second) and daily quotas (calls per UTC day) by
/// capability: `lookup`, `status`, `identity`, `verify`, `risk`. A capability left
/// out takes the default; `null` is unlimited; a quota of 0 shuts it off.
#[derive(Serialize, ToSchema)]
pub struct LimitSettingsDoc {
    /// Requests per second by capability.
    #[schema(example = json!({"lookup": 50, "identity": 10, "verify": 20, "risk": 200}))]
    rate_per_s: BTreeMap<&'static str, Option<u32>>,
    /// Calls per UTC day by capability.
    #[schema(example = json!({"identity": 1000}))]
    daily_quota: BTreeMap<&'static str, Option<u64>>,
}

/// A tenant's or key's limits: as stored, and in effect per capability.
#[derive(Serialize, ToSchema)]
pub struct LimitsOut {
    /// The tenant or key.
    id: String,
    /// Stored rate limits.
    rate_per_s: BTreeMap<&'static str, Option<u32>>,
    /// Stored daily quotas.
    daily_quota: BTreeMap<&'static str, Option<u64>>,
    /// What applies to every capability (`null`: unlimited).
    effective: LimitSettingsDoc,
}

/// The stored settings and what applies per capability (`null`: unlimited).
async fn limits_out(s: &AppState, kind: Subject, id: &str) -> Result<Json<LimitsOut>, ApiError> {
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
    Ok(Json(LimitsOut {
        id: id.to_string(),
        rate_per_s: own
            .rate_per_s
            .iter()
            .map(|(c, r)| (c.as_str(), *r))
            .collect(),
        daily_quota: own
            .daily_quota
            .iter()
            .map(|(c, q)| (c.as_str(), *q))
            .collect(),
        effective: LimitSettingsDoc {
            rate_per_s: rate,
            daily_quota: quota,
        },
    }))
}

async fn put_limits(
    s: &AppState,
    kind: Subject,
    id: &str,
    body: LimitSettings,
) -> Result<Json<LimitsOut>, ApiError> {
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
    limits_out(s, kind, id).await
}

#[utoipa::path(get, path = "/v1/admin/tenants/{id}/limits", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    responses(
        (status = 200, description = "The tenant's limits.", body = LimitsOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_tenant_limits(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<LimitsOut>, ApiError> {
    check_exists(&s, Subject::Tenant, &id).await?;
    limits_out(&s, Subject::Tenant, &id).await
}

#[utoipa::path(put, path = "/v1/admin/tenants/{id}/limits", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    request_body = LimitSettingsDoc,
    responses(
        (status = 200, description = "The tenant's limits as now stored.", body = LimitsOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn put_tenant_limits(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LimitSettings>,
) -> Result<Json<LimitsOut>, ApiError> {
    put_limits(&s, Subject::Tenant, &id, body).await
}

#[utoipa::path(get, path = "/v1/admin/keys/{id}/limits", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Key id (`key_…`).")),
    responses(
        (status = 200, description = "The key's limits.", body = LimitsOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_key_limits(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<LimitsOut>, ApiError> {
    check_exists(&s, Subject::Key, &id).await?;
    limits_out(&s, Subject::Key, &id).await
}

#[utoipa::path(put, path = "/v1/admin/keys/{id}/limits", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Key id (`key_…`).")),
    request_body = LimitSettingsDoc,
    responses(
        (status = 200, description = "The key's limits as now stored.", body = LimitsOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn put_key_limits(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LimitSettings>,
) -> Result<Json<LimitsOut>, ApiError> {
    put_limits(&s, Subject::Key, &id, body).await
}
