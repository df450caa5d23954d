//! Tenant AccessKey pairs of the Aliyun-compatible front (admin token):
//! `POST /v1/admin/tenants/{id}/access-keys` (the secret is shown once; kept
//! sealed with the master key), list, revoke.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use phoneguard_core::KeyMode;
use phoneguard_core::suppliers::access_keys::{AccessKeyRecord, new_access_key};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::admin::KeyModeCode;
use crate::state::AppState;

/// `/v1/admin/tenants/{id}/access-keys…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_access_key, list_access_keys))
        .routes(routes!(revoke_access_key))
}

/// Body of `POST /v1/admin/tenants/{id}/access-keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "test"}))]
pub struct AccessKeyIn {
    /// `test` (sandbox suppliers only; the default) or `live`.
    #[serde(default)]
    mode: Option<String>,
}

/// A new AccessKey pair: the secret is shown this once.
#[derive(Serialize, ToSchema)]
pub struct AccessKeyCreated {
    /// The `AccessKeyId` for Aliyun's SDK.
    access_key_id: String,
    /// The `AccessKeySecret`: shown once, kept sealed with the master key.
    access_key_secret: String,
    /// Owner.
    tenant_id: String,
    /// Test or live.
    mode: KeyModeCode,
    /// When it was created.
    #[serde(serialize_with = "crate::time::ms")]
    created_at: DateTime<Utc>,
}

/// An AccessKey pair as listed (never the secret).
#[derive(Serialize, ToSchema)]
pub struct AccessKeyOut {
    /// The `AccessKeyId`.
    access_key_id: String,
    /// Owner.
    tenant_id: String,
    /// Test or live.
    mode: KeyModeCode,
    /// When it was created.
    #[serde(serialize_with = "crate::time::ms")]
    created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    #[serde(serialize_with = "crate::time::opt_ms")]
    #[schema(value_type = Option<String>)]
    revoked_at: Option<DateTime<Utc>>,
}

impl From<AccessKeyRecord> for AccessKeyOut {
    fn from(k: AccessKeyRecord) -> Self {
        AccessKeyOut {
            access_key_id: k.id,
            tenant_id: k.tenant_id,
            mode: mode_code(k.mode),
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

fn mode_code(m: KeyMode) -> KeyModeCode {
    match m {
        KeyMode::Test => KeyModeCode::Test,
        KeyMode::Live => KeyModeCode::Live,
    }
}

/// A tenant's pairs.
#[derive(Serialize, ToSchema)]
pub struct AccessKeysOut {
    /// Oldest first.
    access_keys: Vec<AccessKeyOut>,
}

async fn tenant_exists(s: &AppState, id: &str) -> Result<(), ApiError> {
    if s.store().get_tenant(id).await?.is_none() {
        return Err(ApiError::not_found(format!("tenant {id} not found")));
    }
    Ok(())
}

/// Issues an AccessKey pair for the Aliyun-compatible front; the answer is
/// the only place the secret is ever shown.
#[utoipa::path(post, path = "/v1/admin/tenants/{id}/access-keys", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    request_body = AccessKeyIn,
    responses(
        (status = 201, description = "The pair, the secret shown once.", body = AccessKeyCreated),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 409, description = "No master key is configured to seal the secret (`conflict`).",
            body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn create_access_key(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AccessKeyIn>,
) -> Result<impl IntoResponse, ApiError> {
    let mode = match body.mode.as_deref() {
        None => KeyMode::Test,
        Some(m) => KeyMode::parse(m).ok_or_else(|| {
            ApiError::invalid_field("mode", format!("mode {m:?} is not one of test, live"))
        })?,
    };
    tenant_exists(&s, &id).await?;
    let cipher = s.suppliers.cipher().ok_or_else(|| {
        ApiError::conflict(
            "AccessKey secrets are sealed with the master key: set PHONEGUARD_MASTER_KEY",
        )
    })?;
    let (key_id, secret) = new_access_key();
    let sealed = cipher
        .seal(&key_id, &serde_json::Value::String(secret.clone()))
        .map_err(|e| ApiError::internal("access_keys", e.to_string()))?;
    let now =
        DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap_or_else(Utc::now);
    let record = AccessKeyRecord {
        id: key_id,
        tenant_id: id,
        mode,
        secret: sealed,
        created_at: now,
        revoked_at: None,
    };
    s.suppliers.store().insert_access_key(&record).await?;
    tracing::info!(tenant = %record.tenant_id, access_key = %record.id, mode = mode.as_str(), "access key created");
    let listed = AccessKeyOut::from(record.clone());
    crate::audit::record(
        &s,
        "access_key.create",
        &record.id,
        None,
        crate::audit::state(&listed),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(AccessKeyCreated {
            access_key_id: record.id,
            access_key_secret: secret,
            tenant_id: record.tenant_id,
            mode: mode_code(mode),
            created_at: record.created_at,
        }),
    ))
}

/// Lists a tenant's AccessKey pairs (never the secrets).
#[utoipa::path(get, path = "/v1/admin/tenants/{id}/access-keys", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    responses(
        (status = 200, description = "The tenant's pairs.", body = AccessKeysOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn list_access_keys(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccessKeysOut>, ApiError> {
    tenant_exists(&s, &id).await?;
    let keys = s.suppliers.store().list_access_keys(&id).await?;
    Ok(Json(AccessKeysOut {
        access_keys: keys.into_iter().map(AccessKeyOut::from).collect(),
    }))
}

/// Revokes an AccessKey pair at once.
#[utoipa::path(delete, path = "/v1/admin/tenants/{id}/access-keys/{key_id}", tag = "admin",
    security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`)."),
        ("key_id" = String, Path, description = "The `AccessKeyId`.")),
    responses(
        (status = 200, description = "The revoked pair.", body = AccessKeyOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn revoke_access_key(
    _: Admin,
    State(s): State<AppState>,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<Json<AccessKeyOut>, ApiError> {
    let store = s.suppliers.store();
    if !store.revoke_access_key(&id, &key_id, Utc::now()).await? {
        return Err(ApiError::not_found(format!(
            "tenant {id} has no active access key {key_id}"
        )));
    }
    s.aliyun.forget(&key_id);
    let k = store
        .get_access_key(&key_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("access key {key_id} not found")))?;
    tracing::info!(access_key = %k.id, "access key revoked");
    let out = AccessKeyOut::from(k);
    crate::audit::record(
        &s,
        "access_key.revoke",
        &out.access_key_id,
        None,
        crate::audit::state(&out),
    )
    .await;
    Ok(Json(out))
}
