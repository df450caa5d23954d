//! The audit log of admin changes (admin token): `GET /v1/admin/audit?limit=&before=`,
//! newest first; `next_before` pages further back.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use phoneguard_core::ops::AuditEntry;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Most entries in one page.
const MAX_PAGE: i64 = 500;

/// `/v1/admin/audit`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Query of `GET /v1/admin/audit`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries per page, 1 to 500; default 50.
    #[serde(default)]
    limit: Option<i64>,
    /// Entries older than this id (`next_before` of the previous page).
    #[serde(default)]
    before: Option<i64>,
}

/// One admin change; secret-looking members of `before` and `after` are redacted.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryOut {
    /// Increasing.
    id: i64,
    /// When.
    #[serde(serialize_with = "crate::time::ms")]
    at: DateTime<Utc>,
    /// Who: `admin` (the admin token).
    actor: String,
    /// What, e.g. `supplier.update`, `tenant.create`, `key.revoke`.
    action: String,
    /// The id of what changed (`sms-a`, `ten_…`, `key_…`).
    target: String,
    /// The state before (`null`: created).
    before: Option<Value>,
    /// The state after (`null`: deleted).
    after: Option<Value>,
    /// `x-request-id` of the request that made the change.
    request_id: Option<String>,
}

impl From<AuditEntry> for AuditEntryOut {
    fn from(e: AuditEntry) -> Self {
        AuditEntryOut {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            target: e.target,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    /// Entries, newest first.
    entries: Vec<AuditEntryOut>,
    /// Pass as `before` for the next page; `null` on the last.
    next_before: Option<i64>,
}

#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin",
    security(("admin_token" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit entries, newest first.", body = AuditOut),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn list_audit(
    _: Admin,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditOut>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    if q.before.is_some_and(|b| b < 1) {
        return Err(ApiError::invalid_field(
            "before",
            "before is an entry id (1 or more)",
        ));
    }
    let entries = s.store().list_audit(limit, q.before).await?;
    let next_before = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(Json(AuditOut {
        entries: entries.into_iter().map(AuditEntryOut::from).collect(),
        next_before,
    }))
}
