//! Risk: registration and login protection, results by token, device risk.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use phoneguard_core::risk::{DeviceSummary, LineCheck, RiskError, RiskReason, RiskRecord};
use phoneguard_risk::{EventKind, FieldError, PnKind, RiskEvent};
use serde::Serialize;

use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, ProblemCode};
use crate::problem::FieldProblem;
use crate::routes::supply;
use crate::state::AppState;

/// `/v1/risk/…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_risk_register))
        .routes(routes!(post_risk_login))
        .routes(routes!(get_risk_result))
        .routes(routes!(get_risk_device))
}

/// A 422 naming the first bad field and listing all of them.
pub fn field_errors(errors: &[FieldError], name: impl Fn(&str) -> String) -> ApiError {
    let first = &errors[0];
    let all: Vec<FieldProblem> = errors
        .iter()
        .map(|e| FieldProblem {
            field: name(e.field),
            message: e.message.to_string(),
        })
        .collect();
    ApiError::invalid_field(
        &name(first.field),
        format!("{}: {}", name(first.field), first.message),
    )
    .with(|x| x.errors = Some(all))
}

/// Parses the JSON object of an event; anything but an object is a 400/422.
fn parse_event(body: &Bytes) -> Result<RiskEvent, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty body; expected a JSON object with at least `account`",
        ));
    }
    serde_json::from_slice::<RiskEvent>(body).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::bad_request(format!("body is not valid JSON: {e}"))
        } else {
            ApiError::invalid_field("body", format!("expected a JSON object: {e}"))
        }
    })
}

impl From<RiskError> for ApiError {
    fn from(e: RiskError) -> Self {
        match e {
            RiskError::Store(s) => s.into(),
            RiskError::Counters(c) => ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                ProblemCode::CountersUnavailable,
                c.to_string(),
            ),
        }
    }
}

/// One rule that fired.
#[derive(Serialize, ToSchema)]
pub struct ReasonOut {
    /// The rule id (`ip_velocity`, `common_password`, …).
    code: String,
    /// 1 account, 2 network, 3 device, 4 behaviour.
    risk_type: u8,
    /// The rule's reason, filled in.
    detail: String,
    /// What it added to the score.
    score: i64,
}

impl From<&RiskReason> for ReasonOut {
    fn from(r: &RiskReason) -> Self {
        ReasonOut {
            code: r.code.clone(),
            risk_type: r.risk_type,
            detail: r.detail.clone(),
            score: r.score,
        }
    }
}

fn reasons(r: &RiskRecord) -> Vec<ReasonOut> {
    r.reasons.iter().map(ReasonOut::from).collect()
}

/// A risk result.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"level": 2, "risk_types": [3, 2], "decision": "review",
    "reasons": [{"code": "ip_velocity", "risk_type": 2, "detail": "23 registrations from this IP in 1h", "score": 30}],
    "score": 30, "token": "rk_…", "kind": "register",
    "created_at": "2026-11-23T10:00:00Z", "expires_at": "2026-11-30T10:00:00Z"}))]
pub struct RiskResultOut {
    /// 0 safe, 1–2 suspicious, 3–4 risky.
    #[schema(minimum = 0, maximum = 4)]
    level: u8,
    /// 1 account, 2 network, 3 device, 4 behaviour; most contributing first.
    risk_types: Vec<u8>,
    /// `allow`, `review` or `deny`.
    decision: String,
    /// The rules that fired.
    reasons: Vec<ReasonOut>,
    /// Total score.
    score: i64,
    /// Reads the result back (`GET /v1/risk/results/{token}`).
    token: String,
    /// `register` or `login`.
    kind: String,
    /// When it was assessed.
    #[serde(serialize_with = "crate::time::ms")]
    created_at: DateTime<Utc>,
    /// When it is deleted.
    #[serde(serialize_with = "crate::time::ms")]
    expires_at: DateTime<Utc>,
}

impl From<&RiskRecord> for RiskResultOut {
    fn from(r: &RiskRecord) -> Self {
        RiskResultOut {
            level: r.level,
            risk_types: r.risk_types.clone(),
            decision: r.decision.clone(),
            reasons: reasons(r),
            score: r.score,
            token: r.token.clone(),
            kind: r.kind.clone(),
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

/// What is known of a device.
#[derive(Serialize, ToSchema)]
pub struct DeviceRiskOut {
    /// The device id asked about.
    device_id: String,
    /// Level of its latest event.
    level: u8,
    /// Risk types of its latest event.
    risk_types: Vec<u8>,
    /// Decision of its latest event.
    decision: String,
    /// Reasons of its latest event.
    reasons: Vec<ReasonOut>,
    /// Its first event.
    #[serde(serialize_with = "crate::time::ms")]
    first_seen: DateTime<Utc>,
    /// Its latest event.
    #[serde(serialize_with = "crate::time::ms")]
    last_seen: DateTime<Utc>,
    /// Distinct accounts seen on it.
    accounts: i64,
    /// Distinct networks its events came from (an IPv4 address, or an IPv6
    /// /64, counted once however many addresses of it were used).
    ips: i64,
    /// Events seen.
    events: i64,
    /// Devices phoneguard issued (`dev_…`): when `POST /v1/devices` first issued it.
    #[serde(
        serialize_with = "crate::time::opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    issued_at: Option<DateTime<Utc>>,
    /// Issued devices: distinct fingerprints seen with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprints: Option<i64>,
    /// Issued devices: its latest signals.
    #[serde(skip_serializing_if = "Option::is_none")]
    signals: Option<phoneguard_core::devices::DeviceSignals>,
}

impl DeviceRiskOut {
    fn new(device_id: String, d: &DeviceSummary) -> Self {
        DeviceRiskOut {
            device_id,
            level: d.latest.level,
            risk_types: d.latest.risk_types.clone(),
            decision: d.latest.decision.clone(),
            reasons: reasons(&d.latest),
            first_seen: d.first_seen,
            last_seen: d.latest.created_at,
            accounts: d.accounts,
            ips: d.ips,
            events: d.events,
            issued_at: None,
            fingerprints: None,
            signals: None,
        }
    }
}

/// Why an event was not assessed.
pub enum AssessFailure {
    /// Fields failed validation (each endpoint words these its own way).
    Fields(Vec<FieldError>),
    /// Anything else, as an API error.
    Api(ApiError),
}

/// Validates and assesses an event of the given kind for the caller.
pub async fn assess(
    state: &AppState,
    caller: &Caller,
    mut event: RiskEvent,
    kind: EventKind,
) -> Result<RiskRecord, AssessFailure> {
    event.kind = kind;
    event.validate().map_err(AssessFailure::Fields)?;
    crate::routes::devices::apply_token(state, &caller.0.tenant_id, &mut event);
    crate::limits::admit(
        state,
        &caller.0,
        phoneguard_core::limits::ApiCapability::Risk,
        1,
    )
    .await
    .map_err(AssessFailure::Api)?;
    let line = line_check(state, caller, &event).await;
    let (record, _) = state
        .risk
        .assess(&caller.0.tenant_id, &event, line)
        .await
        .map_err(|e| AssessFailure::Api(e.into()))?;
    Ok(record)
}

/// The line status of the event's `pn` through the router, when the operator
/// turned the check on (`risk.line_status`) and `pn` is a plain, valid number.
/// A supplier that fails or is too slow leaves the event assessable without it.
async fn line_check(state: &AppState, caller: &Caller, event: &RiskEvent) -> LineCheck {
    let Some(timeout) = state.risk.line_status_timeout() else {
        return LineCheck::NotAsked;
    };
    let pn = event
        .pn
        .as_deref()
        .filter(|p| PnKind::of(Some(p)) == PnKind::Number);
    let Some(info) = pn.and_then(|p| phoneguard_numbering::lookup(state.numbers, p).ok()) else {
        return LineCheck::NotAsked;
    };
    match tokio::time::timeout(timeout, supply::status(state, &caller.0, &info)).await {
        Ok(Ok((answer, _supplier))) => LineCheck::Status(answer.status.code().to_string()),
        Ok(Err(e)) => {
            tracing::warn!(code = e.code.as_str(), "risk: line status unavailable");
            LineCheck::Unavailable
        }
        Err(_) => {
            tracing::warn!(
                timeout_ms = timeout.as_millis() as u64,
                "risk: line status timed out"
            );
            LineCheck::Unavailable
        }
    }
}

async fn post_event(
    state: AppState,
    caller: Caller,
    body: Bytes,
    kind: EventKind,
) -> Result<Json<RiskResultOut>, ApiError> {
    let event = parse_event(&body)?;
    match assess(&state, &caller, event, kind).await {
        Ok(record) => Ok(Json(RiskResultOut::from(&record))),
        Err(AssessFailure::Api(api)) => Err(api),
        Err(AssessFailure::Fields(fields)) => Err(field_errors(&fields, str::to_string)),
    }
}

/// 注册保护: assesses a registration.
#[utoipa::path(post, path = "/v1/risk/register", tag = "risk", security(("api_key" = [])),
    request_body = RiskEvent,
    responses(
        (status = 200, description = "The assessment; keep `token` to read it back.", body = RiskResultOut),
        (status = 400, response = crate::openapi::problem::InvalidRequest),
        (status = 422, description = "Bad fields: `field` names the first, `errors` lists all.",
            body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
async fn post_risk_register(
    caller: Caller,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<RiskResultOut>, ApiError> {
    post_event(s, caller, body, EventKind::Register).await
}

/// 登录保护: assesses a login.
#[utoipa::path(post, path = "/v1/risk/login", tag = "risk", security(("api_key" = [])),
    request_body = RiskEvent,
    responses(
        (status = 200, description = "The assessment; keep `token` to read it back.", body = RiskResultOut),
        (status = 400, response = crate::openapi::problem::InvalidRequest),
        (status = 422, description = "Bad fields: `field` names the first, `errors` lists all.",
            body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
async fn post_risk_login(
    caller: Caller,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<RiskResultOut>, ApiError> {
    post_event(s, caller, body, EventKind::Login).await
}

/// Reads a result back by its token (server-side check mode).
#[utoipa::path(get, path = "/v1/risk/results/{token}", tag = "risk", security(("api_key" = [])),
    params(("token" = String, Path, description = "The `token` of an assessment (`rk_…`).")),
    responses(
        (status = 200, description = "The result.", body = RiskResultOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_risk_result(
    caller: Caller,
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<RiskResultOut>, ApiError> {
    match s.risk.result(&caller.0.tenant_id, &token).await? {
        Some(r) => Ok(Json(RiskResultOut::from(&r))),
        None => Err(ApiError::not_found(
            "no risk result with this token (unknown, expired, or another tenant's)",
        )),
    }
}

/// 设备风险: what is known of a device across its events.
#[utoipa::path(get, path = "/v1/risk/devices/{device_id}", tag = "risk", security(("api_key" = [])),
    params(("device_id" = String, Path, description = "The `device_id` of events, 1–128 characters.")),
    responses(
        (status = 200, description = "The device's latest result and counts.", body = DeviceRiskOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_risk_device(
    caller: Caller,
    State(s): State<AppState>,
    Path(device_id): Path<String>,
) -> Result<Json<DeviceRiskOut>, ApiError> {
    if device_id.trim().is_empty() || device_id.len() > 128 {
        return Err(ApiError::invalid_field(
            "device_id",
            "device_id must be 1 to 128 characters",
        ));
    }
    let Some(d) = s.risk.device(&caller.0.tenant_id, &device_id).await? else {
        return Err(ApiError::not_found(
            "no events of this device (within the retention period)",
        ));
    };
    let mut out = DeviceRiskOut::new(device_id, &d);
    if let Some((issued, fingerprints)) = s
        .devices
        .device(&caller.0.tenant_id, &out.device_id)
        .await?
    {
        out.issued_at = Some(issued.first_seen);
        out.fingerprints = Some(fingerprints);
        out.signals = serde_json::from_str(&issued.signals).ok();
    }
    Ok(Json(out))
}
