//! `GET /v1/sandbox/messages?phone=…` and `GET /v1/sandbox/calls?phone=…`:
//! what sandbox suppliers delivered to the calling tenant's phones, newest
//! first, from the in-memory ring (the only place a code is readable).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::routes::numbers::invalid_number;
use crate::state::AppState;

/// `/v1/sandbox/messages`, `/v1/sandbox/calls`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sandbox_messages))
        .routes(routes!(list_sandbox_calls))
}

/// Query of both endpoints.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// Only this phone (any format).
    #[serde(default)]
    #[param(example = "13800138000")]
    phone: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    #[serde(default)]
    limit: Option<usize>,
}

fn phone_of(q: &OutboxQuery) -> Result<Option<String>, ApiError> {
    q.phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            phoneguard_numbering::parse(p)
                .map(|n| n.e164())
                .map_err(|e| invalid_number(&e))
        })
        .transpose()
}

/// SMS and voice messages sandbox suppliers delivered, with their text
/// (the only place a code is readable).
#[utoipa::path(get, path = "/v1/sandbox/messages", tag = "sandbox", security(("api_key" = [])),
    params(OutboxQuery),
    responses(
        (status = 200, description = "Newest first.", body = crate::openapi::verify::OutboxMessagesOut),
        (status = 422, response = crate::openapi::problem::InvalidNumber),
    ))]
async fn list_sandbox_messages(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<Value>, ApiError> {
    let phone = phone_of(&q)?;
    let mut messages = s.verify.outbox().messages(&who.tenant_id, phone.as_deref());
    messages.truncate(q.limit.unwrap_or(100).min(1000));
    Ok(Json(json!({ "messages": messages })))
}

/// Flash calls sandbox suppliers placed, with the caller number.
#[utoipa::path(get, path = "/v1/sandbox/calls", tag = "sandbox", security(("api_key" = [])),
    params(OutboxQuery),
    responses(
        (status = 200, description = "Newest first.", body = crate::openapi::verify::OutboxCallsOut),
        (status = 422, response = crate::openapi::problem::InvalidNumber),
    ))]
async fn list_sandbox_calls(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<Value>, ApiError> {
    let phone = phone_of(&q)?;
    let mut calls = s.verify.outbox().calls(&who.tenant_id, phone.as_deref());
    calls.truncate(q.limit.unwrap_or(100).min(1000));
    Ok(Json(json!({ "calls": calls })))
}
