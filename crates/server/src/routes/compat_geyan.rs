//! The anti-fraud seed's wire format (个验 checkRegister / checkLogin).
//!
//! Success: `{"errno": 0, "data": {"result": 20000, "msg": "成功", "data": {"level", "riskType", "token"}}}`.
//! A bad field answers HTTP 200 with `result` 40001 and a message naming the
//! seed's field, as the vendor's SDK reads `result`, not the HTTP status; bad
//! credentials stay a 401 problem.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use phoneguard_risk::{EventKind, GeyanEvent, geyan_field_name};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::risk::{AssessFailure, assess};
use crate::state::AppState;

/// Result code of success.
pub const OK: i64 = 20000;
/// Result code of a bad parameter.
pub const BAD_PARAMETER: i64 = 40001;

/// `/compat/geyan/…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_check_register))
        .routes(routes!(post_check_login))
}

fn failure(msg: String) -> Json<Value> {
    Json(json!({"errno": 0, "data": {"result": BAD_PARAMETER, "msg": msg}}))
}

async fn check(
    state: AppState,
    caller: Caller,
    body: Bytes,
    kind: EventKind,
) -> Result<Json<Value>, ApiError> {
    let event = match serde_json::from_slice::<GeyanEvent>(&body) {
        Ok(e) => e.into_event(),
        Err(e) => {
            return Ok(failure(format!(
                "参数错误 invalid parameter: expected a JSON object: {e}"
            )));
        }
    };
    match assess(&state, &caller, event, kind).await {
        Ok(r) => Ok(Json(json!({
            "errno": 0,
            "data": {"result": OK, "msg": "成功", "data": {"level": r.level, "riskType": r.risk_types, "token": r.token}}
        }))),
        Err(AssessFailure::Api(api)) => Err(api),
        Err(AssessFailure::Fields(fields)) => {
            let f = &fields[0];
            Ok(failure(format!(
                "参数错误 invalid parameter: {}: {}",
                geyan_field_name(f.field),
                f.message
            )))
        }
    }
}

/// The seed's checkRegister: 注册保护 in the seed's wire format.
#[utoipa::path(post, path = "/compat/geyan/check-register", tag = "compat", security(("api_key" = [])),
    request_body = crate::openapi::risk::GeyanEventIn,
    responses((status = 200, description = "The seed's envelope; a bad field is `result` 40001 with HTTP 200.",
        body = crate::openapi::risk::GeyanOut)))]
async fn post_check_register(
    caller: Caller,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    check(s, caller, body, EventKind::Register).await
}

/// The seed's checkLogin: 登录保护 in the seed's wire format.
#[utoipa::path(post, path = "/compat/geyan/check-login", tag = "compat", security(("api_key" = [])),
    request_body = crate::openapi::risk::GeyanEventIn,
    responses((status = 200, description = "The seed's envelope; a bad field is `result` 40001 with HTTP 200.",
        body = crate::openapi::risk::GeyanOut)))]
async fn post_check_login(
    caller: Caller,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    check(s, caller, body, EventKind::Login).await
}
