//! Administration: tenants and API keys (admin token).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use phoneguard_core::devices::PublishableKey;
use phoneguard_core::tenants::TenantError;
use phoneguard_core::{ApiKey, KeyMode, Tenant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// `/v1/admin/tenants…`, `/v1/admin/keys/{id}`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant, list_tenants))
        .routes(routes!(get_tenant))
        .routes(routes!(create_key, list_keys))
        .routes(routes!(revoke_key))
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
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantIn {
    /// Display name, unique.
    #[schema(example = "acme")]
    name: String,
}

/// `test` (sandbox suppliers only) or `live`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyModeCode {
    /// `pk_test_…`.
    Test,
    /// `pk_live_…`.
    Live,
    /// `pub_test_…` / `pub_live_…`: `POST /v1/devices` only, from its allowed origins.
    Publishable,
}

impl From<KeyMode> for KeyModeCode {
    fn from(m: KeyMode) -> Self {
        match m {
            KeyMode::Test => KeyModeCode::Test,
            KeyMode::Live => KeyModeCode::Live,
        }
    }
}

/// A tenant.
#[derive(Serialize, ToSchema)]
pub struct TenantRecord {
    /// `ten_…`.
    id: String,
    /// Display name, unique.
    name: String,
    /// `AC` + 32 hex: the user of HTTP Basic on `/v2` (Twilio SDKs).
    account_sid: String,
    /// When it was created.
    #[serde(serialize_with = "crate::time::ms")]
    created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantRecord {
    fn from(t: Tenant) -> Self {
        TenantRecord {
            account_sid: phoneguard_core::twilio::account_sid(&t.id),
            id: t.id,
            name: t.name,
            created_at: t.created_at,
        }
    }
}

/// An API key as listed: its hint, never the key.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyRecord {
    /// `key_…`.
    id: String,
    /// `SK` + 32 hex: may stand for the account sid on `/v2` (Twilio SDKs).
    /// Secret keys only: a publishable key has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    /// Owner.
    tenant_id: String,
    /// Test or live.
    mode: KeyModeCode,
    /// The first characters of the key.
    hint: String,
    /// When it was created.
    #[serde(serialize_with = "crate::time::ms")]
    created_at: DateTime<Utc>,
    /// When it was revoked.
    #[serde(serialize_with = "crate::time::opt_ms")]
    revoked_at: Option<DateTime<Utc>>,
    /// Publishable keys: the exact origins browsers may call from.
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_origins: Option<Vec<String>>,
}

impl From<ApiKey> for ApiKeyRecord {
    fn from(k: ApiKey) -> Self {
        ApiKeyRecord {
            sid: Some(phoneguard_core::twilio::key_sid(&k.id)),
            id: k.id,
            tenant_id: k.tenant_id,
            mode: k.mode.into(),
            hint: k.hint,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            allowed_origins: None,
        }
    }
}

impl From<PublishableKey> for ApiKeyRecord {
    fn from(k: PublishableKey) -> Self {
        ApiKeyRecord {
            sid: None,
            id: k.id,
            tenant_id: k.tenant_id,
            mode: KeyModeCode::Publishable,
            hint: k.hint,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            allowed_origins: Some(k.allowed_origins),
        }
    }
}

/// A tenant with its keys (hints only).
#[derive(Serialize, ToSchema)]
pub struct TenantOut {
    #[serde(flatten)]
    tenant: TenantRecord,
    /// Its keys (`GET /v1/admin/tenants/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<Vec<ApiKeyRecord>>,
}

/// Answer of `GET /v1/admin/tenants`.
#[derive(Serialize, ToSchema)]
pub struct TenantsOut {
    /// Every tenant.
    tenants: Vec<TenantRecord>,
}

/// Answer of `GET /v1/admin/tenants/{id}/keys`.
#[derive(Serialize, ToSchema)]
pub struct KeysOut {
    /// Every key of the tenant, revoked ones too.
    keys: Vec<ApiKeyRecord>,
}

/// Creates a tenant.
#[utoipa::path(post, path = "/v1/admin/tenants", tag = "admin", security(("admin_token" = [])),
    request_body = TenantIn,
    responses(
        (status = 201, description = "Created.", body = TenantOut,
            example = json!({"id": "ten_01JD…", "name": "acme", "account_sid": "AC0196f6d1c3a47b6e8f5c2d1a9b3e7f40", "created_at": "2026-11-23T10:00:00Z"})),
        (status = 409, response = crate::openapi::problem::Conflict),
    ))]
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
    let tenant = TenantOut {
        tenant: tenant.into(),
        keys: None,
    };
    Ok((StatusCode::CREATED, Json(tenant)))
}

/// Lists every tenant.
#[utoipa::path(get, path = "/v1/admin/tenants", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "Every tenant.", body = TenantsOut)))]
async fn list_tenants(_: Admin, State(s): State<AppState>) -> Result<Json<TenantsOut>, ApiError> {
    let tenants = s.store().list_tenants().await?;
    Ok(Json(TenantsOut {
        tenants: tenants.into_iter().map(TenantRecord::from).collect(),
    }))
}

/// A tenant with its keys.
#[utoipa::path(get, path = "/v1/admin/tenants/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    responses(
        (status = 200, description = "The tenant and its keys (hints only).", body = TenantOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_tenant(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TenantOut>, ApiError> {
    let tenant = s
        .store()
        .get_tenant(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("tenant {id} not found")))?;
    let keys = s.store().list_api_keys(&id).await?;
    Ok(Json(TenantOut {
        tenant: tenant.into(),
        keys: Some(keys.into_iter().map(ApiKeyRecord::from).collect()),
    }))
}

/// Body of `POST /v1/admin/tenants/{id}/keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyIn {
    /// `test` (sandbox suppliers only), `live`, or `publishable` (`pub_…`:
    /// `POST /v1/devices` only, from `allowed_origins`).
    #[schema(example = "test")]
    mode: String,
    /// Publishable keys: 1–20 exact origins (`https://shop.example`); CORS answers only to these.
    #[serde(default)]
    allowed_origins: Option<Vec<String>>,
    /// Publishable keys: `pub_live_…` rather than `pub_test_…`.
    #[serde(default)]
    live: Option<bool>,
}

/// A key as shown once.
#[derive(Serialize, ToSchema)]
pub struct KeyOut {
    /// `key_…`.
    id: String,
    /// `SK` + 32 hex: may stand for the account sid on `/v2` (Twilio SDKs).
    /// Secret keys only: a publishable key has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    /// The key itself: shown this once, stored only as a hash.
    key: String,
    /// Owner.
    tenant_id: String,
    /// Test or live.
    mode: KeyModeCode,
    /// When it was created.
    #[serde(serialize_with = "crate::time::ms")]
    created_at: DateTime<Utc>,
    /// Publishable keys: the exact origins browsers may call from.
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_origins: Option<Vec<String>>,
}

/// Issues an API key; the answer is the only place it is ever shown.
#[utoipa::path(post, path = "/v1/admin/tenants/{id}/keys", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    request_body = KeyIn,
    responses(
        (status = 201, description = "The key, shown once.", body = KeyOut,
            example = json!({"id": "key_01JD…", "sid": "SK0196f6d1c3a47b6e8f5c2d1a9b3e7f41", "key": "pk_test_…", "tenant_id": "ten_01JD…", "mode": "test",
                "created_at": "2026-11-23T10:00:00Z"})),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn create_key(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<KeyIn>,
) -> Result<Response, ApiError> {
    if body.mode == "publishable" {
        return create_publishable_key(&s, &id, body).await;
    }
    if body.allowed_origins.is_some() || body.live.is_some() {
        return Err(ApiError::invalid_field(
            "allowed_origins",
            "allowed_origins and live are for mode publishable only",
        ));
    }
    let mode = KeyMode::parse(&body.mode).ok_or_else(|| {
        ApiError::invalid_field(
            "mode",
            format!("mode {:?} is not one of test, live, publishable", body.mode),
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
            sid: Some(phoneguard_core::twilio::key_sid(&issued.record.id)),
            id: issued.record.id,
            key: issued.key,
            tenant_id: issued.record.tenant_id,
            mode: mode.into(),
            created_at: issued.record.created_at,
            allowed_origins: None,
        }),
    )
        .into_response())
}

async fn create_publishable_key(s: &AppState, id: &str, body: KeyIn) -> Result<Response, ApiError> {
    let origins = body.allowed_origins.unwrap_or_default();
    let (record, key) = s
        .devices
        .create_key(id, body.live.unwrap_or(false), &origins)
        .await?;
    tracing::info!(tenant = %id, key = %record.id, mode = "publishable", "api key created");
    crate::audit::record(
        s,
        "key.create",
        &record.id,
        None,
        crate::audit::state(&record),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(KeyOut {
            sid: None,
            id: record.id,
            key,
            tenant_id: record.tenant_id,
            mode: KeyModeCode::Publishable,
            created_at: record.created_at,
            allowed_origins: Some(record.allowed_origins),
        }),
    )
        .into_response())
}

/// Lists a tenant's keys (hints only).
#[utoipa::path(get, path = "/v1/admin/tenants/{id}/keys", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Tenant id (`ten_…`).")),
    responses(
        (status = 200, description = "The tenant's keys.", body = KeysOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn list_keys(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<KeysOut>, ApiError> {
    if s.store().get_tenant(&id).await?.is_none() {
        return Err(ApiError::not_found(format!("tenant {id} not found")));
    }
    let keys = s.store().list_api_keys(&id).await?;
    let publishable = s.devices.list_keys(&id).await?;
    Ok(Json(KeysOut {
        keys: keys
            .into_iter()
            .map(ApiKeyRecord::from)
            .chain(publishable.into_iter().map(ApiKeyRecord::from))
            .collect(),
    }))
}

/// Revokes a key at once (on this node; other nodes within the key cache's TTL).
#[utoipa::path(delete, path = "/v1/admin/keys/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Key id (`key_…`).")),
    responses(
        (status = 200, description = "The revoked key.", body = ApiKeyRecord),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn revoke_key(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyRecord>, ApiError> {
    if id.starts_with("key_")
        && let Some(key) = s.devices.revoke_key(&id).await?
    {
        tracing::info!(key = %key.id, "publishable key revoked");
        crate::audit::record(&s, "key.revoke", &key.id, None, crate::audit::state(&key)).await;
        return Ok(Json(key.into()));
    }
    let key = s.tenants.revoke_key(&id).await?;
    tracing::info!(key = %key.id, "api key revoked");
    crate::audit::record(&s, "key.revoke", &key.id, None, crate::audit::state(&key)).await;
    Ok(Json(key.into()))
}
