//! Verifications: `POST /v1/verifications`, check (by id, or by phone and
//! purpose), flash-call report, resend, get, cancel; and the per-tenant
//! destination-country allow-list (admin).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use phoneguard_core::verify::{Channel, CheckOutcome, StartRequest, Verification, VerifyError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Admin, Caller};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::numbers::invalid_number;
use crate::state::AppState;

/// `/v1/verifications…` and `/v1/admin/tenants/{id}/verify-countries`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/verifications", post(create_verification))
        .route("/v1/verifications/check", post(check_by_phone))
        .route("/v1/verifications/{id}", get(get_verification))
        .route("/v1/verifications/{id}/check", post(check_verification))
        .route("/v1/verifications/{id}/report", post(report_flash_call))
        .route("/v1/verifications/{id}/resend", post(resend_verification))
        .route("/v1/verifications/{id}/cancel", post(cancel_verification))
        .route(
            "/v1/admin/tenants/{id}/verify-countries",
            put(put_tenant_countries),
        )
}

impl From<VerifyError> for ApiError {
    fn from(e: VerifyError) -> Self {
        let detail = e.to_string();
        let conflict = |code| ApiError::new(StatusCode::CONFLICT, code, detail.clone());
        match e {
            VerifyError::Invalid { field, message } => ApiError::invalid_field(field, message),
            VerifyError::InvalidNumber(p) => invalid_number(&p),
            VerifyError::NotFound => ApiError::not_found("no such verification"),
            VerifyError::Expired => conflict("verification_expired"),
            VerifyError::MaxAttempts => conflict("max_attempts_reached"),
            VerifyError::Closed(status) => {
                conflict("verification_closed").with("verification_status", status.as_str())
            }
            VerifyError::RateLimited {
                limit, retry_after, ..
            } => {
                let mut a = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail)
                    .with("limit", limit);
                a.retry_after = Some(retry_after);
                a
            }
            VerifyError::CountryBlocked(c) => {
                ApiError::new(StatusCode::FORBIDDEN, "country_not_allowed", detail)
                    .with("country", c)
            }
            VerifyError::SupplierUnavailable(m) => {
                tracing::warn!(error = %m, "no supplier delivered");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "supplier_unavailable",
                    "no supplier could deliver the code; retry shortly",
                )
            }
            VerifyError::Store(s) => s.into(),
        }
    }
}

/// Body of `POST /v1/verifications`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationIn {
    phone: String,
    #[serde(default)]
    channel: Option<Channel>,
    purpose: String,
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    code_length: Option<u32>,
    #[serde(default)]
    app_hash: Option<String>,
    #[serde(default)]
    ip: Option<String>,
}

/// One attempt as shown.
#[derive(Serialize)]
pub struct AttemptOut {
    channel: Channel,
    supplier: String,
    sent_at: DateTime<Utc>,
    delivery: &'static str,
}

/// A verification as shown: masked phone, never the code or the caller number.
#[derive(Serialize)]
pub struct VerificationOut {
    id: String,
    status: &'static str,
    phone: String,
    channel: Channel,
    purpose: String,
    expires_at: DateTime<Utc>,
    remaining_attempts: u32,
    attempts: Vec<AttemptOut>,
    flash_call: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Verification> for VerificationOut {
    fn from(v: Verification) -> Self {
        let now = Utc::now();
        let flash_call = match (
            v.current_channel(),
            v.flash_window_ends_at,
            v.attempts.last(),
        ) {
            (Channel::FlashCall, Some(end), Some(a)) => Some(json!({
                "window_s": (end - a.sent_at).num_seconds(),
                "prefix_hint": v.flash_prefix_hint,
            })),
            _ => None,
        };
        VerificationOut {
            status: v.status_at(now).as_str(),
            phone: phoneguard_numbering::mask(&v.phone),
            channel: v.current_channel(),
            remaining_attempts: v.max_check_attempts.saturating_sub(v.check_attempts),
            attempts: v
                .attempts
                .iter()
                .map(|a| AttemptOut {
                    channel: a.channel,
                    supplier: a.supplier.clone(),
                    sent_at: a.sent_at,
                    delivery: a.delivery.as_str(),
                })
                .collect(),
            flash_call,
            id: v.id,
            purpose: v.purpose,
            expires_at: v.expires_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

async fn create_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<VerificationIn>,
) -> Result<impl IntoResponse, ApiError> {
    let req = StartRequest {
        phone: b.phone,
        channel: b.channel,
        purpose: b.purpose,
        device_id: b.device_id,
        locale: b.locale,
        code_length: b.code_length,
        app_hash: b.app_hash,
        ip: b.ip,
    };
    crate::limits::admit(&s, &who, phoneguard_core::limits::ApiCapability::Verify, 1).await?;
    let v = s.verify.start(&who, req).await?;
    Ok((StatusCode::CREATED, Json(VerificationOut::from(v))))
}

async fn get_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<VerificationOut>, ApiError> {
    Ok(Json(s.verify.get(&who, &id).await?.into()))
}

/// Body of `POST /v1/verifications/{id}/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    code: String,
}

async fn check_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CheckIn>,
) -> Result<Json<CheckOutcome>, ApiError> {
    Ok(Json(s.verify.check(&who, &id, &b.code).await?))
}

/// Body of `POST /v1/verifications/check`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckByPhoneIn {
    phone: String,
    purpose: String,
    code: String,
}

async fn check_by_phone(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<CheckByPhoneIn>,
) -> Result<Json<CheckOutcome>, ApiError> {
    Ok(Json(
        s.verify
            .check_by_phone(&who, &b.phone, &b.purpose, &b.code)
            .await?,
    ))
}

/// Body of `POST /v1/verifications/{id}/report`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    incoming_numbers: Vec<String>,
}

async fn report_flash_call(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReportIn>,
) -> Result<Json<CheckOutcome>, ApiError> {
    Ok(Json(s.verify.report(&who, &id, &b.incoming_numbers).await?))
}

/// Body of `POST /v1/verifications/{id}/resend` (may be empty JSON).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendIn {
    #[serde(default)]
    channel: Option<Channel>,
}

async fn resend_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<VerificationOut>, ApiError> {
    let channel = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<ResendIn>(&body)
            .map_err(|e| ApiError::invalid_field("channel", format!("invalid body: {e}")))?
            .channel
    };
    crate::limits::admit(&s, &who, phoneguard_core::limits::ApiCapability::Verify, 1).await?;
    Ok(Json(s.verify.resend(&who, &id, channel).await?.into()))
}

async fn cancel_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<VerificationOut>, ApiError> {
    Ok(Json(s.verify.cancel(&who, &id).await?.into()))
}

/// Body of `PUT /v1/admin/tenants/{id}/verify-countries`; `null` restores the default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountriesIn {
    countries: Option<Vec<String>>,
}

async fn put_tenant_countries(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CountriesIn>,
) -> Result<Json<Value>, ApiError> {
    if s.store().get_tenant(&id).await?.is_none() {
        return Err(ApiError::not_found(format!("tenant {id} not found")));
    }
    let countries = s.verify.set_tenant_countries(&id, b.countries).await?;
    crate::audit::record(
        &s,
        "tenant.verify_countries",
        &id,
        None,
        Some(json!({"countries": countries})),
    )
    .await;
    Ok(Json(json!({ "tenant_id": id, "countries": countries })))
}
