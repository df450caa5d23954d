//! Administration of the risk rules: read, replace, reload from file.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use phoneguard_core::risk::RulesLoadError;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::{ApiError, ProblemCode};
use crate::state::AppState;

/// `/v1/admin/risk/rules…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rules, put_rules))
        .routes(routes!(post_rules_reload))
}

/// Answer of a rules replacement or reload.
#[derive(Serialize, ToSchema)]
pub struct RulesOut {
    /// Rules now in force.
    rules: u64,
    /// `reloaded`.
    status: &'static str,
}

impl RulesOut {
    fn reloaded(rules: usize) -> Json<RulesOut> {
        Json(RulesOut {
            rules: rules as u64,
            status: "reloaded",
        })
    }
}

fn invalid_rules(detail: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::InvalidRules,
        format!("{detail}; the rules in force are unchanged"),
    )
}

/// The rules in force, as TOML.
#[utoipa::path(get, path = "/v1/admin/risk/rules", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "The rules file in force.", body = String,
        content_type = "application/toml")))]
async fn get_rules(_: Admin, State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
        s.risk.rules_source().to_string(),
    )
}

/// Replaces the rules with the TOML body, if every rule compiles.
#[utoipa::path(put, path = "/v1/admin/risk/rules", tag = "admin", security(("admin_token" = [])),
    request_body(content = String, content_type = "text/plain", description = "A rules file (TOML)."),
    responses(
        (status = 200, description = "The new rules are in force.", body = RulesOut,
            example = json!({"rules": 12, "status": "reloaded"})),
        (status = 400, response = crate::openapi::problem::InvalidRequest),
        (status = 422, description = "A rule does not compile (`invalid_rules`); the rules in force are unchanged.",
            body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
async fn put_rules(
    _: Admin,
    State(s): State<AppState>,
    body: Bytes,
) -> Result<Json<RulesOut>, ApiError> {
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
    Ok(RulesOut::reloaded(n))
}

/// Re-reads `risk.rules_file` (also done on SIGHUP).
#[utoipa::path(post, path = "/v1/admin/risk/rules/reload", tag = "admin", security(("admin_token" = [])),
    responses(
        (status = 200, description = "The file's rules are in force.", body = RulesOut),
        (status = 409, response = crate::openapi::problem::Conflict),
        (status = 422, description = "A rule does not compile (`invalid_rules`).",
            body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
async fn post_rules_reload(
    _: Admin,
    State(s): State<AppState>,
) -> Result<Json<RulesOut>, ApiError> {
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
            Ok(RulesOut::reloaded(n))
        }
        Err(RulesLoadError::NoFile) => Err(ApiError::conflict(
            "no rules file is configured (config key `risk.rules_file`); use PUT /v1/admin/risk/rules",
        )),
        Err(e) => Err(invalid_rules(e.to_string())),
    }
}
