//! Carrier one-tap authentication (本机号码校验 / 一键登录):
//! `POST /v1/carrier-auth/number` exchanges a carrier token for the number,
//! through the `carrier_auth` suppliers (routing, failover, breakers, call
//! records, usage as every capability); `POST /v1/sandbox/carrier-tokens`
//! issues tokens that sandbox suppliers exchange (test keys only). The token
//! is never logged or stored; the number is masked in logs.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use phoneguard_core::KeyMode;
use phoneguard_core::limits::ApiCapability;
use phoneguard_core::suppliers::{
    Answer, Capability, CarrierAnswer, CarrierQuery, CarrierToken, CarrierVerdict, Query, Subject,
    TokenProblem,
};
use phoneguard_core::tenants::Principal;
use phoneguard_numbering::{NumberInfo, lookup};
use phoneguard_suppliers::RouterError;
use phoneguard_suppliers::sandbox_carrier;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, ProblemCode};
use crate::extract::ApiJson;
use crate::routes::numbers::invalid_number;
use crate::routes::supply::{router_error, subject};
use crate::state::AppState;

/// `/v1/carrier-auth/…` and `/v1/sandbox/carrier-tokens`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(carrier_number))
        .routes(routes!(issue_sandbox_carrier_token))
}

/// The 4xx of a refused token.
pub fn token_error(p: TokenProblem) -> ApiError {
    let (status, code, detail) = match p {
        TokenProblem::Invalid => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::TokenInvalid,
            "the carrier token is not valid (damaged, made up, or not issued for this tenant)",
        ),
        TokenProblem::Expired => (
            StatusCode::CONFLICT,
            ProblemCode::TokenExpired,
            "the carrier token has expired; get a new one from the carrier SDK",
        ),
        TokenProblem::Used => (
            StatusCode::CONFLICT,
            ProblemCode::TokenUsed,
            "the carrier token was exchanged before; a token is good for one exchange",
        ),
    };
    ApiError::new(status, code, detail).with(|x| x.field = Some("carrier_token".into()))
}

/// A `carrier_token` field, checked.
pub fn parse_token(raw: &str) -> Result<CarrierToken, ApiError> {
    CarrierToken::parse(raw).map_err(|m| ApiError::invalid_field("carrier_token", m))
}

/// Exchanges a token through the router: the number (`phone` absent) or the
/// verdict on `phone`, with the supplier that answered.
pub async fn exchange(
    s: &AppState,
    who: &Principal,
    token: CarrierToken,
    phone: Option<&NumberInfo>,
) -> Result<(CarrierAnswer, String), RouterError> {
    let subject = match phone {
        Some(info) => subject(who, info),
        None => Subject {
            tenant_id: who.tenant_id.clone(),
            e164: String::new(),
            national: String::new(),
            carrier: None,
        },
    };
    let q = Query {
        capability: Capability::CarrierAuth,
        subject,
        identity: None,
        carrier: Some(CarrierQuery {
            token,
            verify: phone.is_some(),
        }),
    };
    let routed = s.suppliers.router().query(&q, who.mode).await?;
    match routed.answer {
        Answer::Carrier(a) => Ok((a, routed.supplier_id)),
        _ => Err(RouterError::AllFailed {
            capability: Capability::CarrierAuth.as_str(),
            attempts: routed.attempts,
            last: "bad_response",
        }),
    }
}

/// The verdict of a token on `phone`, or the token's 4xx; `Err(None)`-free:
/// supplier trouble is `Ok(None)` so `auto` can fall back to SMS.
pub async fn verdict(
    s: &AppState,
    who: &Principal,
    token: CarrierToken,
    phone: &NumberInfo,
) -> Result<Result<(CarrierVerdict, String), RouterError>, ApiError> {
    match exchange(s, who, token, Some(phone)).await {
        Ok((CarrierAnswer::Verdict(v), supplier)) => Ok(Ok((v, supplier))),
        Ok((CarrierAnswer::Token(p), _)) => Err(token_error(p)),
        Ok((CarrierAnswer::Number { .. }, _)) => Ok(Err(RouterError::AllFailed {
            capability: Capability::CarrierAuth.as_str(),
            attempts: 1,
            last: "bad_response",
        })),
        Err(e) => Ok(Err(e)),
    }
}

/// Body of `POST /v1/carrier-auth/number`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"carrier_token": "STsid0000001512438403572hQSEygBwiYc9fIw0vbMvm4o"}))]
pub struct CarrierNumberIn {
    /// The token the carrier SDK returned on the phone (single use, short-lived).
    #[schema(max_length = 2048)]
    carrier_token: String,
}

/// The number of a carrier token.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"phone": "+8613800138000", "carrier": "cmcc", "supplier": "aliyun-dypns"}))]
pub struct CarrierNumberOut {
    /// E.164.
    phone: String,
    /// Carrier code (`cmcc`, `cucc`, `ctcc`, `cbn`), when known.
    carrier: Option<String>,
    /// The supplier that answered.
    supplier: String,
}

/// One-tap login: the number a carrier token belongs to.
#[utoipa::path(post, path = "/v1/carrier-auth/number", tag = "carrier-auth", security(("api_key" = [])),
    request_body = CarrierNumberIn,
    responses(
        (status = 200, description = "The number of the token.", body = CarrierNumberOut),
        (status = 409, description = "`token_expired` or `token_used`.", body = crate::problem::Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "`token_invalid`, or a bad field (`invalid_request`).",
            body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, response = crate::openapi::problem::RateLimited),
        (status = 503, response = crate::openapi::problem::SupplierUnavailable),
    ))]
async fn carrier_number(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<CarrierNumberIn>,
) -> Result<Json<CarrierNumberOut>, ApiError> {
    let token = parse_token(&b.carrier_token)?;
    crate::limits::admit(&s, &who, ApiCapability::CarrierAuth, 1).await?;
    match exchange(&s, &who, token, None)
        .await
        .map_err(router_error)?
    {
        (CarrierAnswer::Number { e164, carrier }, supplier) => {
            tracing::debug!(phone = %phoneguard_numbering::mask(&e164), %supplier, "carrier token exchanged");
            Ok(Json(CarrierNumberOut {
                phone: e164,
                carrier,
                supplier,
            }))
        }
        (CarrierAnswer::Token(p), _) => Err(token_error(p)),
        (CarrierAnswer::Verdict(_), _) => Err(router_error(RouterError::AllFailed {
            capability: Capability::CarrierAuth.as_str(),
            attempts: 1,
            last: "bad_response",
        })),
    }
}

/// Body of `POST /v1/sandbox/carrier-tokens`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13800138000"}))]
pub struct CarrierTokenIn {
    /// The number the token stands for, any format.
    phone: String,
    /// Lifetime in seconds, 1–3600 (default 120, China Mobile's).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3600)]
    ttl_s: Option<u32>,
}

/// A sandbox carrier token (shown once; never stored).
#[derive(Serialize, ToSchema)]
pub struct CarrierTokenOut {
    /// The token, as the carrier SDK would return it on the phone.
    carrier_token: String,
    /// When it stops working.
    #[serde(serialize_with = "crate::time::ms")]
    expires_at: DateTime<Utc>,
}

/// Issues a sandbox carrier token for a number (test keys only): single use,
/// exchanged by `sandbox` suppliers of `carrier_auth`.
#[utoipa::path(post, path = "/v1/sandbox/carrier-tokens", tag = "sandbox", security(("api_key" = [])),
    request_body = CarrierTokenIn,
    responses(
        (status = 201, description = "The token.", body = CarrierTokenOut),
        (status = 403, description = "A live key (`forbidden`): sandbox tokens are for test keys.",
            body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn issue_sandbox_carrier_token(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiJson(b): ApiJson<CarrierTokenIn>,
) -> Result<impl IntoResponse, ApiError> {
    if who.mode != KeyMode::Test {
        return Err(ApiError::forbidden(
            "sandbox carrier tokens are issued to test keys only",
        ));
    }
    let info = lookup(s.numbers, &b.phone).map_err(|e| invalid_number(&e))?;
    let ttl = b.ttl_s.unwrap_or(sandbox_carrier::DEFAULT_TTL_S);
    if !(1..=sandbox_carrier::MAX_TTL_S).contains(&ttl) {
        return Err(ApiError::invalid_field("ttl_s", "ttl_s must be 1 to 3600"));
    }
    let now =
        DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap_or_else(Utc::now);
    let expires_at = now + chrono::Duration::seconds(i64::from(ttl));
    let carrier = subject(&who, &info).carrier;
    let token = sandbox_carrier::issue(
        s.suppliers.hash_key(),
        &who.tenant_id,
        &info.number,
        carrier.as_deref(),
        expires_at,
    );
    Ok((
        StatusCode::CREATED,
        Json(CarrierTokenOut {
            carrier_token: token,
            expires_at,
        }),
    ))
}
