//! Administration: tenants and API keys (admin token).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use phoneguard_core::tenants::TenantError;
use phoneguard_core::{ApiKey, KeyMode, Tenant};
use serde::{Deserialize, Serialize};

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// `/v1/admin/tenants…`, `/v1/admin/keys/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/tenants", post(create_tenant).get(list_tenants))
        .route("/v1/admin/tenants/{id}", get(get_tenant))
        .route(
            "/v1/admin/tenants/{id}/keys",
            post(create_key).get(list_keys),
        )
        .route("/v1/admin/keys/{id}", delete(revoke_key))
}

impl From<TenantError> for ApiError {
    fn from(e: TenantError) -> Self {
        match e {
            TenantError::Invalid(m) => ApiError::invalid_field("name", m),
            TenantError::NameTaken(_) => ApiError::conflict(e.to_string()),
            TenantError::NotFound(m) => ApiError::not_found(format!("{m} not found")),
            TenantError::Store(s) => s.into(),
        }
    }
}

/// Body of `POST /v1/admin/tenants`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantIn {
    name: String,
}

/// A tenant with its keys (hints only).
#[derive(Serialize)]
pub struct TenantOut {
    #[serde(flatten)]
    tenant: Tenant,
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<Vec<ApiKey>>,
}

async fn create_tenant(
    _: Admin,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TenantIn>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = s.tenants.create_tenant(&body.name).await?;
    tracing::info!(tenant = %tenant.id, "tenant created");
    crate::audit::record(
        &s,
        "tenant.create",
        &tenant.id,
        None,
        crate::audit::state(&tenant),
    )
    .await;
    Ok((StatusCode::CREATED, Json(TenantOut { tenant, keys: None })))
}

async fn list_tenants(_: Admin, State(s): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let tenants = s.store().list_tenants().await?;
    Ok(Json(serde_json::json!({ "tenants": tenants })))
}

async fn get_tenant(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let tenant = s
        .store()
        .get_tenant(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("tenant {id} not found")))?;
    let keys = s.store().list_api_keys(&id).await?;
    Ok(Json(TenantOut {
        tenant,
        keys: Some(keys),
    }))
}

/// Body of `POST /v1/admin/tenants/{id}/keys`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyIn {
    mode: String,
}

/// A key as shown once.
#[derive(Serialize)]
pub struct KeyOut {
    id: String,
    key: String,
    tenant_id: String,
    mode: KeyMode,
    created_at: chrono::DateTime<chrono::Utc>,
}

async fn create_key(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<KeyIn>,
) -> Result<impl IntoResponse, ApiError> {
    let mode = KeyMode::parse(&body.mode).ok_or_else(|| {
        ApiError::invalid_field(
            "mode",
            format!("mode {:?} is not one of test, live", body.mode),
        )
    })?;
    let issued = s.tenants.create_key(&id, mode).await?;
    tracing::info!(tenant = %id, key = %issued.record.id, mode = mode.as_str(), "api key created");
    crate::audit::record(
        &s,
        "key.create",
        &issued.record.id,
        None,
        crate::audit::state(&issued.record),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(KeyOut {
            id: issued.record.id,
            key: issued.key,
            tenant_id: issued.record.tenant_id,
            mode,
            created_at: issued.record.created_at,
        }),
    ))
}

async fn list_keys(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    if s.store().get_tenant(&id).await?.is_none() {
        return Err(ApiError::not_found(format!("tenant {id} not found")));
    }
    Ok(Json(
        serde_json::json!({ "keys": s.store().list_api_keys(&id).await? }),
    ))
}

async fn revoke_key(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let key = s.tenants.revoke_key(&id).await?;
    tracing::info!(key = %key.id, "api key revoked");
    crate::audit::record(&s, "key.revoke", &key.id, None, crate::audit::state(&key)).await;
    Ok(Json(key))
}
