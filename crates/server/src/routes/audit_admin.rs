//! The audit log of admin changes (admin token): `GET /v1/admin/audit?limit=&before=`,
//! newest first; `next_before` pages further back.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    before: Option<i64>,
}

#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin",
    security(("admin_token" = [])),
    params(
        ("limit" = Option<i64>, Query, description = "Entries per page, 1 to 500; default 50."),
        ("before" = Option<i64>, Query, description = "Entries older than this id (`next_before` of the previous page)."),
    ),
    responses(
        (status = 200, description = "Audit entries, newest first.", body = crate::openapi::admin::AuditOut),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn list_audit(
    _: Admin,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(
        json!({"entries": entries, "next_before": next_before}),
    ))
}
