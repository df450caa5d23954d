//! Verifications: `POST /v1/verifications`, check (by id, or by phone and
//! purpose), flash-call report, resend, get, cancel. The per-tenant settings
//! (admin) are in [`crate::routes::verify_admin`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use phoneguard_core::verify::{CarrierStep, Channel, CheckOutcome, StartRequest, Verification};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::numbers::invalid_number;
use crate::state::AppState;

/// `/v1/verifications…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_verification))
        .routes(routes!(check_by_phone))
        .routes(routes!(get_verification))
        .routes(routes!(check_verification))
        .routes(routes!(report_flash_call))
        .routes(routes!(resend_verification))
        .routes(routes!(cancel_verification))
}

/// Body of `POST /v1/verifications`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13800138000", "channel": "sms", "purpose": "login",
    "device_id": "dev-42", "locale": "zh-CN", "code_length": 6}))]
pub struct VerificationIn {
    /// The phone, any format.
    phone: String,
    /// `sms` (default), `voice`, `flash_call` or `auto`.
    #[serde(default)]
    channel: Option<Channel>,
    /// Business type: `login`, `register`, `reset_password`, … (free string).
    purpose: String,
    /// Terminal id: the key of supplier failover (else the phone).
    #[serde(default)]
    device_id: Option<String>,
    /// Language of the message, e.g. `zh-CN`, `en`.
    #[serde(default)]
    locale: Option<String>,
    /// Digits of the code, 4–10.
    #[serde(default)]
    code_length: Option<u32>,
    /// Android SMS Retriever hash appended to the message.
    #[serde(default)]
    app_hash: Option<String>,
    /// The end user's IP address (for limits).
    #[serde(default)]
    ip: Option<String>,
    /// The carrier SDK's token, for `carrier` (required) and `auto` (carrier
    /// one-tap first, SMS when it does not pass).
    #[serde(default)]
    #[schema(max_length = 2048)]
    carrier_token: Option<String>,
}

/// One attempt as shown.
#[derive(Serialize, ToSchema)]
pub struct AttemptOut {
    /// `sms`, `voice` or `flash_call`.
    channel: Channel,
    /// The supplier that carried it.
    supplier: String,
    /// When it was handed to the supplier.
    #[serde(serialize_with = "crate::time::ms")]
    sent_at: DateTime<Utc>,
    /// `sent`, `delivered` or `failed`.
    #[schema(value_type = phoneguard_core::verify::Delivery)]
    delivery: &'static str,
}

/// The flash-call part of a verification: never the caller number itself.
#[derive(Serialize, ToSchema)]
pub struct FlashCallOut {
    /// Seconds the app has to report the incoming call.
    window_s: i64,
    /// The leading digits of the caller number, when the supplier tells them.
    prefix_hint: Option<String>,
}

/// A verification as shown: masked phone, never the code or the caller number.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "ver_01JD…", "status": "pending", "phone": "138****8000", "channel": "sms",
    "purpose": "login", "expires_at": "2026-11-23T10:10:00Z", "remaining_attempts": 5,
    "attempts": [{"channel": "sms", "supplier": "sandbox-sms", "sent_at": "2026-11-23T10:00:00Z", "delivery": "sent"}],
    "flash_call": null, "created_at": "2026-11-23T10:00:00Z", "updated_at": "2026-11-23T10:00:00Z"}))]
pub struct VerificationOut {
    /// `ver_…`.
    id: String,
    /// Where it stands.
    #[schema(value_type = phoneguard_core::verify::Status)]
    status: &'static str,
    /// The phone, masked (`138****8000`).
    phone: String,
    /// The channel of the latest attempt.
    channel: Channel,
    /// Business type.
    purpose: String,
    /// When the code stops working.
    #[serde(serialize_with = "crate::time::ms")]
    expires_at: DateTime<Utc>,
    /// Wrong checks left.
    remaining_attempts: u32,
    /// Why a carrier verification failed: `rejected` (the token belongs to
    /// another number) or `unknown` (the carrier cannot tell).
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// Every code (or call) sent, oldest first.
    attempts: Vec<AttemptOut>,
    /// The flash-call window, for a flash call.
    flash_call: Option<FlashCallOut>,
    /// Creation time.
    #[serde(serialize_with = "crate::time::ms")]
    created_at: DateTime<Utc>,
    /// Last change.
    #[serde(serialize_with = "crate::time::ms")]
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
            (Channel::FlashCall, Some(end), Some(a)) => Some(FlashCallOut {
                window_s: (end - a.sent_at).num_seconds(),
                prefix_hint: v.flash_prefix_hint.clone(),
            }),
            _ => None,
        };
        let reason = match (v.status, v.attempts.last()) {
            (phoneguard_core::verify::Status::Failed, Some(a)) => {
                phoneguard_core::verify::carrier::failure_reason(a).map(str::to_string)
            }
            _ => None,
        };
        VerificationOut {
            reason,
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

/// Answer of a check or a flash-call report.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "ver_01JD…", "status": "approved", "remaining_attempts": 4}))]
pub struct CheckOut {
    /// Verification id.
    id: String,
    /// `approved` or `pending`.
    #[schema(value_type = phoneguard_core::verify::Status)]
    status: &'static str,
    /// Wrong checks left.
    remaining_attempts: u32,
}

impl From<CheckOutcome> for CheckOut {
    fn from(c: CheckOutcome) -> Self {
        CheckOut {
            id: c.id,
            status: c.status.as_str(),
            remaining_attempts: c.remaining_attempts,
        }
    }
}

/// Sends a code (or places a flash call) to a phone.
#[utoipa::path(post, path = "/v1/verifications", tag = "verifications", security(("api_key" = [])),
    request_body = VerificationIn,
    responses(
        (status = 201, description = "Sent.", body = VerificationOut),
        (status = 403, description = "The tenant may not send to this country (`country_not_allowed`), \
            or the wrong kind of credential (`forbidden`).", body = crate::problem::Problem,
            content_type = "application/problem+json"),
        (status = 429, response = crate::openapi::problem::RateLimited),
        (status = 503, response = crate::openapi::problem::SupplierUnavailable),
    ))]
async fn create_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<VerificationIn>,
) -> Result<impl IntoResponse, ApiError> {
    let token = match (b.channel, b.carrier_token.as_deref()) {
        (Some(Channel::Carrier | Channel::Auto), Some(t)) => {
            Some(crate::routes::carrier_auth::parse_token(t)?)
        }
        (Some(Channel::Carrier), None) => {
            return Err(ApiError::invalid_field(
                "carrier_token",
                "channel carrier needs the carrier_token of the carrier SDK",
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid_field(
                "carrier_token",
                "carrier_token goes with channel carrier or auto",
            ));
        }
        (_, None) => None,
    };
    crate::limits::admit(&s, &who, phoneguard_core::limits::ApiCapability::Verify, 1).await?;
    let carrier = match token {
        Some(token) => {
            let info = phoneguard_numbering::lookup(s.numbers, &b.phone)
                .map_err(|e| invalid_number(&e))?;
            Some(
                match crate::routes::carrier_auth::verdict(&s, &who, token, &info).await? {
                    Ok((verdict, supplier)) => CarrierStep::Verdict { verdict, supplier },
                    Err(e) => CarrierStep::Unavailable(e.to_string()),
                },
            )
        }
        None => None,
    };
    let req = StartRequest {
        phone: b.phone,
        channel: b.channel,
        purpose: b.purpose,
        device_id: b.device_id,
        locale: b.locale,
        code_length: b.code_length,
        app_hash: b.app_hash,
        ip: b.ip,
        carrier,
        ..StartRequest::default()
    };
    let v = s.verify.start(&who, req).await?;
    Ok((StatusCode::CREATED, Json(VerificationOut::from(v))))
}

/// A verification of the caller's tenant.
#[utoipa::path(get, path = "/v1/verifications/{id}", tag = "verifications", security(("api_key" = [])),
    params(("id" = String, Path, description = "Verification id (`ver_…`).")),
    responses(
        (status = 200, description = "The verification.", body = VerificationOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<VerificationOut>, ApiError> {
    Ok(Json(s.verify.get(&who, &id).await?.into()))
}

/// Body of `POST /v1/verifications/{id}/check`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// The code the user entered.
    #[schema(example = "123456")]
    code: String,
}

/// Checks a code.
#[utoipa::path(post, path = "/v1/verifications/{id}/check", tag = "verifications", security(("api_key" = [])),
    params(("id" = String, Path, description = "Verification id (`ver_…`).")),
    request_body = CheckIn,
    responses(
        (status = 200, description = "`approved`, or `pending` with one attempt fewer.", body = CheckOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 409, description = "It can no longer pass: `verification_expired`, \
            `max_attempts_reached` or `verification_closed`.", body = crate::problem::Problem,
            content_type = "application/problem+json"),
    ))]
async fn check_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CheckIn>,
) -> Result<Json<CheckOut>, ApiError> {
    Ok(Json(s.verify.check(&who, &id, &b.code).await?.into()))
}

/// Body of `POST /v1/verifications/check`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13800138000", "purpose": "login", "code": "123456"}))]
pub struct CheckByPhoneIn {
    /// The phone, any format.
    phone: String,
    /// The purpose the code was sent for.
    purpose: String,
    /// The code the user entered.
    code: String,
}

/// Checks a code against the latest pending verification of a phone and purpose.
#[utoipa::path(post, path = "/v1/verifications/check", tag = "verifications", security(("api_key" = [])),
    request_body = CheckByPhoneIn,
    responses(
        (status = 200, description = "`approved`, or `pending` with one attempt fewer.", body = CheckOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 409, response = crate::openapi::problem::Conflict),
    ))]
async fn check_by_phone(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<CheckByPhoneIn>,
) -> Result<Json<CheckOut>, ApiError> {
    let outcome = s
        .verify
        .check_by_phone(&who, &b.phone, &b.purpose, &b.code)
        .await?;
    Ok(Json(outcome.into()))
}

/// Body of `POST /v1/verifications/{id}/report`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// The numbers that called the device during the window (at most 3):
    /// the calls it received, not a list to try. A report naming two or more
    /// numbers of the supplier's caller pool is a wrong attempt that ends the
    /// verification (409 `max_attempts_reached`).
    #[schema(example = json!(["+861012345678"]), max_items = 3)]
    incoming_numbers: Vec<String>,
}

/// Flash call: reports the numbers that called the device.
#[utoipa::path(post, path = "/v1/verifications/{id}/report", tag = "verifications", security(("api_key" = [])),
    params(("id" = String, Path, description = "Verification id (`ver_…`).")),
    request_body = ReportIn,
    responses(
        (status = 200, description = "`approved` when a reported number placed the call; `pending` (a wrong attempt) when none did.", body = CheckOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 409, response = crate::openapi::problem::Conflict),
    ))]
async fn report_flash_call(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReportIn>,
) -> Result<Json<CheckOut>, ApiError> {
    Ok(Json(
        s.verify
            .report(&who, &id, &b.incoming_numbers)
            .await?
            .into(),
    ))
}

/// Body of `POST /v1/verifications/{id}/resend` (may be empty JSON).
#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendIn {
    /// Another channel for the new attempt; default the current one.
    #[serde(default)]
    channel: Option<Channel>,
    /// The end user's IP address (for the per-IP send limit).
    #[serde(default)]
    ip: Option<String>,
}

/// Sends a new code (the old one stops working), through another supplier
/// than the last attempt's where there is one.
#[utoipa::path(post, path = "/v1/verifications/{id}/resend", tag = "verifications", security(("api_key" = [])),
    params(("id" = String, Path, description = "Verification id (`ver_…`).")),
    request_body(content = ResendIn, description = "Optional; an empty body keeps the channel."),
    responses(
        (status = 200, description = "The verification with its new attempt.", body = VerificationOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 409, response = crate::openapi::problem::Conflict),
        (status = 429, response = crate::openapi::problem::RateLimited),
        (status = 503, response = crate::openapi::problem::SupplierUnavailable),
    ))]
async fn resend_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<VerificationOut>, ApiError> {
    let ResendIn { channel, ip } = if body.iter().all(u8::is_ascii_whitespace) {
        ResendIn::default()
    } else {
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("body is not valid JSON: {e}")))?;
        serde_json::from_value(v.clone()).map_err(|e| {
            // Name the field at fault: the first one that fails on its own.
            let field = ["channel", "ip"]
                .into_iter()
                .find(|k| {
                    v.get(k).is_some_and(|x| {
                        serde_json::from_value::<ResendIn>(serde_json::json!({ *k: x })).is_err()
                    })
                })
                .unwrap_or("body");
            ApiError::invalid_field(field, format!("invalid body: {e}"))
        })?
    };
    crate::limits::admit(&s, &who, phoneguard_core::limits::ApiCapability::Verify, 1).await?;
    Ok(Json(
        s.verify
            .resend(&who, &id, channel, ip.as_deref())
            .await?
            .into(),
    ))
}

/// Cancels a pending verification.
#[utoipa::path(post, path = "/v1/verifications/{id}/cancel", tag = "verifications", security(("api_key" = [])),
    params(("id" = String, Path, description = "Verification id (`ver_…`).")),
    responses(
        (status = 200, description = "The canceled verification.", body = VerificationOut),
        (status = 404, response = crate::openapi::problem::NotFound),
        (status = 409, response = crate::openapi::problem::Conflict),
    ))]
async fn cancel_verification(
    Caller(who): Caller,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<VerificationOut>, ApiError> {
    Ok(Json(s.verify.cancel(&who, &id).await?.into()))
}
