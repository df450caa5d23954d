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
use serde::Serialize;
use utoipa::ToSchema;
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

/// The innermost `data` of a geyan answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeyanResult {
    /// 0–4.
    level: u8,
    /// Risk types.
    risk_type: Vec<u8>,
    /// The result token.
    token: String,
}

/// The `data` of a geyan answer.
#[derive(Serialize, ToSchema)]
pub struct GeyanData {
    /// 20000 success, 40001 bad parameter.
    result: i64,
    /// `成功`, or the bad parameter named.
    msg: String,
    /// Present on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<GeyanResult>,
}

/// The geyan envelope: HTTP 200 also for a bad parameter (`result` 40001).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"errno": 0, "data": {"result": 20000, "msg": "成功",
    "data": {"level": 2, "riskType": [3, 2], "token": "rk_…"}}}))]
pub struct GeyanOut {
    /// Always 0.
    errno: i64,
    /// The answer.
    data: GeyanData,
}

impl GeyanOut {
    fn new(result: i64, msg: String, data: Option<GeyanResult>) -> Json<GeyanOut> {
        Json(GeyanOut {
            errno: 0,
            data: GeyanData { result, msg, data },
        })
    }
}

fn failure(msg: String) -> Json<GeyanOut> {
    GeyanOut::new(BAD_PARAMETER, msg, None)
}

async fn check(
    state: AppState,
    caller: Caller,
    body: Bytes,
    kind: EventKind,
) -> Result<Json<GeyanOut>, ApiError> {
    let event = match serde_json::from_slice::<GeyanEvent>(&body) {
        Ok(e) => e.into_event(),
        Err(e) => {
            return Ok(failure(format!(
                "参数错误 invalid parameter: expected a JSON object: {e}"
            )));
        }
    };
    match assess(&state, &caller, event, kind).await {
        Ok(r) => Ok(GeyanOut::new(
            OK,
            "成功".to_string(),
            Some(GeyanResult {
                level: r.level,
                risk_type: r.risk_types,
                token: r.token,
            }),
        )),
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
    request_body = GeyanEvent,
    responses((status = 200, description = "The seed's envelope; a bad field is `result` 40001 with HTTP 200.",
        body = GeyanOut)))]
async fn post_check_register(
    caller: Caller,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<GeyanOut>, ApiError> {
    check(s, caller, body, EventKind::Register).await
}

/// The seed's checkLogin: 登录保护 in the seed's wire format.
#[utoipa::path(post, path = "/compat/geyan/check-login", tag = "compat", security(("api_key" = [])),
    request_body = GeyanEvent,
    responses((status = 200, description = "The seed's envelope; a bad field is `result` 40001 with HTTP 200.",
        body = GeyanOut)))]
async fn post_check_login(
    caller: Caller,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<GeyanOut>, ApiError> {
    check(s, caller, body, EventKind::Login).await
}
