//! `PUT /v1/sandbox/subscribers/{number}`: what sandbox suppliers answer for
//! one of the calling tenant's numbers. Names and ID numbers are validated,
//! then kept only as keyed hashes; the answer shows their masks.

use axum::Json;
use axum::extract::{Path, State};
use phoneguard_core::suppliers::LineStatus;
use phoneguard_core::suppliers::identity::{
    mask_id_number, mask_name, validate_id_number, validate_name,
};
use phoneguard_numbering::lookup;
use phoneguard_suppliers::sandbox::{SubscriberInput, subscriber};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::routes::numbers::invalid_number;
use crate::state::AppState;

/// `/v1/sandbox/…` (this module's part).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(put_sandbox_subscriber))
}

/// Body of `PUT /v1/sandbox/subscribers/{number}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "suspended", "name": "张三", "id_number": "11010519491231002X",
    "tenure_months": 30, "ported_to": "cucc"}))]
pub struct SubscriberIn {
    /// Line status the sandbox answers (default `normal`).
    #[serde(default)]
    #[schema(value_type = Option<phoneguard_core::suppliers::LineStatus>)]
    status: Option<String>,
    /// The holder's name (kept as a keyed hash).
    #[serde(default)]
    name: Option<String>,
    /// The holder's ID number (kept as a keyed hash; needs `name`).
    #[serde(default)]
    id_number: Option<String>,
    /// Tenure in months, at most 1200.
    #[serde(default)]
    #[schema(maximum = 1200)]
    tenure_months: Option<u32>,
    /// The carrier the number moved to.
    #[serde(default)]
    #[schema(value_type = Option<phoneguard_numbering::Carrier>)]
    ported_to: Option<String>,
}

/// What sandbox suppliers will answer for a number (masks only).
#[derive(Serialize, ToSchema)]
pub struct SandboxSubscriberOut {
    /// E.164.
    number: String,
    /// The line status code.
    status: &'static str,
    /// Tenure in months, if set.
    tenure_months: Option<u32>,
    /// The carrier it moved to, if set.
    ported_to: Option<String>,
    /// The holder's name, masked.
    name: Option<String>,
    /// The ID number, masked.
    id_number: Option<String>,
}

/// Sets what sandbox suppliers answer for one of the tenant's numbers.
#[utoipa::path(put, path = "/v1/sandbox/subscribers/{number}", tag = "sandbox", security(("api_key" = [])),
    params(("number" = String, Path, description = "The number, any format.", example = "13800138000")),
    request_body = SubscriberIn,
    responses(
        (status = 200, description = "What the sandbox will answer (masks only).", body = SandboxSubscriberOut),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn put_sandbox_subscriber(
    Caller(caller): Caller,
    State(s): State<AppState>,
    Path(number): Path<String>,
    ApiJson(body): ApiJson<SubscriberIn>,
) -> Result<Json<SandboxSubscriberOut>, ApiError> {
    let info = lookup(s.numbers, &number).map_err(|e| invalid_number(&e))?;
    let status = match body.status.as_deref() {
        None => None,
        Some(c) => Some(LineStatus::from_code(c).ok_or_else(|| {
            ApiError::invalid_field(
                "status",
                "expected normal, cancelled, suspended, unavailable, pre_cancelled or not_this_network",
            )
        })?),
    };
    let name = body
        .name
        .as_deref()
        .map(validate_name)
        .transpose()
        .map_err(|m| ApiError::invalid_field("name", m))?;
    let id_number = body
        .id_number
        .as_deref()
        .map(validate_id_number)
        .transpose()
        .map_err(|m| ApiError::invalid_field("id_number", m))?;
    if id_number.is_some() && name.is_none() {
        return Err(ApiError::invalid_field(
            "name",
            "an ID number needs the holder's name",
        ));
    }
    if let Some(m) = body.tenure_months
        && m > 1200
    {
        return Err(ApiError::invalid_field("tenure_months", "at most 1200"));
    }
    if let Some(c) = &body.ported_to
        && !["cmcc", "cucc", "ctcc", "cbn"].contains(&c.as_str())
    {
        return Err(ApiError::invalid_field(
            "ported_to",
            "expected cmcc, cucc, ctcc or cbn",
        ));
    }
    let input = SubscriberInput {
        status,
        name: name.clone(),
        id_number: id_number.clone(),
        tenure_months: body.tenure_months,
        ported_to: body.ported_to.clone(),
    };
    let sub = subscriber(
        s.suppliers.hash_key(),
        &caller.tenant_id,
        &info.number,
        &input,
    );
    s.suppliers.store().put_sandbox_subscriber(&sub).await?;
    Ok(Json(SandboxSubscriberOut {
        number: info.number,
        status: status.unwrap_or(LineStatus::Normal).code(),
        tenure_months: body.tenure_months,
        ported_to: body.ported_to,
        name: name.as_deref().map(mask_name),
        id_number: id_number.as_deref().map(mask_id_number),
    }))
}
