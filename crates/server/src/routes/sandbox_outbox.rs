//! `GET /v1/sandbox/messages?phone=…` and `GET /v1/sandbox/calls?phone=…`:
//! what sandbox suppliers delivered to the calling tenant's phones, newest
//! first, from the in-memory ring (the only place a code is readable).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use phoneguard_core::verify::{OutboxCall, OutboxMessage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
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

/// A message a sandbox supplier delivered (the only place a code is readable).
#[derive(Serialize, ToSchema)]
pub struct OutboxMessageOut {
    /// E.164 destination.
    phone: String,
    /// Supplier id.
    supplier: String,
    /// `sms` or `voice`.
    channel: &'static str,
    /// The text, with the code.
    text: String,
    /// The supplier's message id (receipts refer to it).
    message_id: String,
    /// When it was delivered.
    #[serde(serialize_with = "crate::time::ms")]
    sent_at: DateTime<Utc>,
}

impl From<OutboxMessage> for OutboxMessageOut {
    fn from(m: OutboxMessage) -> Self {
        OutboxMessageOut {
            phone: m.phone,
            supplier: m.supplier,
            channel: m.channel,
            text: m.text,
            message_id: m.message_id,
            sent_at: m.sent_at,
        }
    }
}

/// A flash call a sandbox supplier placed.
#[derive(Serialize, ToSchema)]
pub struct OutboxCallOut {
    /// E.164 destination.
    phone: String,
    /// Supplier id.
    supplier: String,
    /// The number that called (E.164).
    caller: String,
    /// The supplier's call id.
    call_id: String,
    /// When it was placed.
    #[serde(serialize_with = "crate::time::ms")]
    placed_at: DateTime<Utc>,
}

impl From<OutboxCall> for OutboxCallOut {
    fn from(c: OutboxCall) -> Self {
        OutboxCallOut {
            phone: c.phone,
            supplier: c.supplier,
            caller: c.caller,
            call_id: c.call_id,
            placed_at: c.placed_at,
        }
    }
}

/// Answer of `GET /v1/sandbox/messages`, newest first.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessagesOut {
    /// The messages.
    messages: Vec<OutboxMessageOut>,
}

/// Answer of `GET /v1/sandbox/calls`, newest first.
#[derive(Serialize, ToSchema)]
pub struct OutboxCallsOut {
    /// The calls.
    calls: Vec<OutboxCallOut>,
}

/// The phone asked for, as E.164.
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
        (status = 200, description = "Newest first.", body = OutboxMessagesOut),
        (status = 422, response = crate::openapi::problem::InvalidNumber),
    ))]
async fn list_sandbox_messages(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<OutboxMessagesOut>, ApiError> {
    let phone = phone_of(&q)?;
    let mut messages = s.verify.outbox().messages(&who.tenant_id, phone.as_deref());
    messages.truncate(q.limit.unwrap_or(100).min(1000));
    Ok(Json(OutboxMessagesOut {
        messages: messages.into_iter().map(OutboxMessageOut::from).collect(),
    }))
}

/// Flash calls sandbox suppliers placed, with the caller number.
#[utoipa::path(get, path = "/v1/sandbox/calls", tag = "sandbox", security(("api_key" = [])),
    params(OutboxQuery),
    responses(
        (status = 200, description = "Newest first.", body = OutboxCallsOut),
        (status = 422, response = crate::openapi::problem::InvalidNumber),
    ))]
async fn list_sandbox_calls(
    Caller(who): Caller,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Json<OutboxCallsOut>, ApiError> {
    let phone = phone_of(&q)?;
    let mut calls = s.verify.outbox().calls(&who.tenant_id, phone.as_deref());
    calls.truncate(q.limit.unwrap_or(100).min(1000));
    Ok(Json(OutboxCallsOut {
        calls: calls.into_iter().map(OutboxCallOut::from).collect(),
    }))
}
