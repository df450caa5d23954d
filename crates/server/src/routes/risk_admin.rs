//! Administration of the risk rules: read, replace, reload from file.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use phoneguard_core::risk::RulesLoadError;
use serde_json::json;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::state::AppState;

/// `/v1/admin/risk/rules…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/risk/rules", get(get_rules).put(put_rules))
        .route("/v1/admin/risk/rules/reload", post(post_rules_reload))
}

fn invalid_rules(detail: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_rules",
        format!("{detail}; the rules in force are unchanged"),
    )
}

/// The rules in force, as TOML.
async fn get_rules(_: Admin, State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
        s.risk.rules_source().to_string(),
    )
}

/// Replaces the rules with the TOML body, if every rule compiles.
async fn put_rules(
    _: Admin,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("the rules must be UTF-8 TOML"))?;
    let n = s
        .risk
        .reload(text)
        .map_err(|e| invalid_rules(e.to_string()))?;
    crate::audit::record(
        &s,
        "risk.rules.replace",
        "risk_rules",
        None,
        Some(json!({"rules": n})),
    )
    .await;
    Ok(Json(json!({"rules": n, "status": "reloaded"})))
}

/// Re-reads `risk.rules_file` (also done on SIGHUP).
async fn post_rules_reload(
    _: Admin,
    State(s): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match s.risk.reload_file() {
        Ok(n) => {
            crate::audit::record(
                &s,
                "risk.rules.reload",
                "risk_rules",
                None,
                Some(json!({"rules": n})),
            )
            .await;
            Ok(Json(json!({"rules": n, "status": "reloaded"})))
        }
        Err(RulesLoadError::NoFile) => Err(ApiError::conflict(
            "no rules file is configured (config key `risk.rules_file`); use PUT /v1/admin/risk/rules",
        )),
        Err(e) => Err(invalid_rules(e.to_string())),
    }
}
