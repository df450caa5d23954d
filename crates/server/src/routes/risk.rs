//! Risk: registration and login protection, results by token, device risk.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use phoneguard_core::risk::{LineCheck, RiskError, RiskRecord};
use phoneguard_risk::{EventKind, FieldError, PnKind, RiskEvent};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
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
    let all: Vec<Value> = errors
        .iter()
        .map(|e| json!({"field": name(e.field), "message": e.message}))
        .collect();
    ApiError::invalid_field(
        &name(first.field),
        format!("{}: {}", name(first.field), first.message),
    )
    .with("errors", all)
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
                "counters_unavailable",
                c.to_string(),
            ),
        }
    }
}

/// The API shape of a result.
pub fn result_json(r: &RiskRecord) -> Value {
    json!({
        "level": r.level,
        "risk_types": r.risk_types,
        "decision": r.decision,
        "reasons": r.reasons,
        "score": r.score,
        "token": r.token,
        "kind": r.kind,
        "created_at": r.created_at,
        "expires_at": r.expires_at,
    })
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
            tracing::warn!(code = e.code, "risk: line status unavailable");
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
) -> Result<Json<Value>, ApiError> {
    let event = parse_event(&body)?;
    match assess(&state, &caller, event, kind).await {
        Ok(record) => Ok(Json(result_json(&record))),
        Err(AssessFailure::Api(api)) => Err(api),
        Err(AssessFailure::Fields(fields)) => Err(field_errors(&fields, str::to_string)),
    }
}

/// 注册保护: assesses a registration.
#[utoipa::path(post, path = "/v1/risk/register", tag = "risk", security(("api_key" = [])),
    request_body = crate::openapi::risk::RiskEventIn,
    responses(
        (status = 200, description = "The assessment; keep `token` to read it back.", body = crate::openapi::risk::RiskResultOut),
        (status = 400, response = crate::openapi::problem::InvalidRequest),
        (status = 422, description = "Bad fields: `field` names the first, `errors` lists all.",
            body = crate::openapi::problem::Problem, content_type = "application/problem+json"),
    ))]
async fn post_risk_register(
    caller: Caller,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    post_event(s, caller, body, EventKind::Register).await
}

/// 登录保护: assesses a login.
#[utoipa::path(post, path = "/v1/risk/login", tag = "risk", security(("api_key" = [])),
    request_body = crate::openapi::risk::RiskEventIn,
    responses(
        (status = 200, description = "The assessment; keep `token` to read it back.", body = crate::openapi::risk::RiskResultOut),
        (status = 400, response = crate::openapi::problem::InvalidRequest),
        (status = 422, description = "Bad fields: `field` names the first, `errors` lists all.",
            body = crate::openapi::problem::Problem, content_type = "application/problem+json"),
    ))]
async fn post_risk_login(
    caller: Caller,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    post_event(s, caller, body, EventKind::Login).await
}

/// Reads a result back by its token (server-side check mode).
#[utoipa::path(get, path = "/v1/risk/results/{token}", tag = "risk", security(("api_key" = [])),
    params(("token" = String, Path, description = "The `token` of an assessment (`rk_…`).")),
    responses(
        (status = 200, description = "The result.", body = crate::openapi::risk::RiskResultOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_risk_result(
    caller: Caller,
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match s.risk.result(&caller.0.tenant_id, &token).await? {
        Some(r) => Ok(Json(result_json(&r))),
        None => Err(ApiError::not_found(
            "no risk result with this token (unknown, expired, or another tenant's)",
        )),
    }
}

/// 设备风险: what is known of a device across its events.
#[utoipa::path(get, path = "/v1/risk/devices/{device_id}", tag = "risk", security(("api_key" = [])),
    params(("device_id" = String, Path, description = "The `device_id` of events, 1–128 characters.")),
    responses(
        (status = 200, description = "The device's latest result and counts.", body = crate::openapi::risk::DeviceRiskOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_risk_device(
    caller: Caller,
    State(s): State<AppState>,
    Path(device_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({
        "device_id": device_id,
        "level": d.latest.level,
        "risk_types": d.latest.risk_types,
        "decision": d.latest.decision,
        "reasons": d.latest.reasons,
        "first_seen": d.first_seen,
        "last_seen": d.latest.created_at,
        "accounts": d.accounts,
        "events": d.events,
    })))
}
