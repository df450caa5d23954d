//! Extractors that resolve who is calling; handlers never read `Authorization`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use phoneguard_core::tenants::Principal;

use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry::TenantSlot;

/// Notes the caller's tenant for the request metrics.
pub fn note_tenant(parts: &Parts, tenant: &str) {
    if let Some(slot) = parts.extensions.get::<TenantSlot>() {
        slot.set(tenant);
    }
}

/// The token of `Authorization: Bearer <token>`, or a 401 naming what is missing.
pub fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("missing Authorization header; send Authorization: Bearer <api key>")
    })?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("Authorization header is not ASCII"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::unauthorized(
                "Authorization must use the Bearer scheme: Authorization: Bearer <api key>",
            )
        })?;
    Ok(token.trim())
}

/// A caller authenticated by an API key.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let principal = authenticate_key(state, token).await?;
        note_tenant(parts, &principal.tenant_id);
        Ok(Caller(principal))
    }
}

/// Resolves an API key given in any header style (Bearer, APPCODE, …).
pub async fn authenticate_key(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    if token.starts_with("pub_") {
        return Err(ApiError::forbidden(
            "a publishable key may only call POST /v1/devices; use a secret API key (pk_…) on your server",
        ));
    }
    if token.starts_with("adm_") {
        return Err(ApiError::forbidden(
            "the admin token cannot call tenant endpoints; use an API key",
        ));
    }
    match state.tenants.authenticate(token).await? {
        Some(p) => Ok(p),
        None => Err(ApiError::unauthorized("invalid or revoked API key")),
    }
}

/// A caller holding the admin token.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let client = crate::guard::ClientIp::of(parts, state);
        let ok = state.guard.attempt(client, || {
            state.tenants.is_admin_token(token, &state.admin_hash)
        })?;
        if ok {
            note_tenant(parts, "admin");
            Ok(Admin)
        } else if token.starts_with("pk_") || token.starts_with("pub_") {
            Err(ApiError::forbidden(
                "API keys cannot call admin endpoints; use the admin token",
            ))
        } else {
            Err(ApiError::unauthorized("invalid admin token"))
        }
    }
}
