//! `POST /v1/identity/match`: 运营商二要素 (name + number) and 三要素 (+ ID number).
//!
//! Input is validated before any supplier is paid: the number must be a
//! Chinese mobile number, the name 2–20 Han or 2–64 Latin letters, the ID
//! number 18 characters with a right GB 11643 check character. Callers may send
//! `name_md5` / `name_sha256` / `id_number_md5` / `id_number_sha256` instead
//! of the clear values, for suppliers that take hashes. Logs carry masks only.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use phoneguard_core::suppliers::identity::{
    mask_id_number, mask_name, validate_id_number, validate_name,
};
use phoneguard_core::suppliers::{IdentityQuery, Personal};
use phoneguard_numbering::{NumberInfo, lookup, mask};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, ProblemCode};
use crate::extract::ApiJson;
use crate::routes::numbers::invalid_number;
use crate::routes::supply;
use crate::state::AppState;

/// `/v1/identity/…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(post_identity_match))
}

/// Body of `POST /v1/identity/match`: the name in clear or hashed (one of
/// `name`, `name_md5`, `name_sha256`), the ID number optionally likewise.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13800138000", "name": "张三", "id_number": "11010519491231002X"}))]
pub struct MatchIn {
    /// A Chinese mobile number.
    phone: String,
    /// 2–20 Han or 2–64 Latin letters.
    #[serde(default)]
    name: Option<String>,
    /// MD5 of the name, 32 hex.
    #[serde(default)]
    name_md5: Option<String>,
    /// SHA-256 of the name, 64 hex.
    #[serde(default)]
    name_sha256: Option<String>,
    /// 18 characters with a right GB 11643 check character.
    #[serde(default)]
    id_number: Option<String>,
    /// MD5 of the ID number, 32 hex.
    #[serde(default)]
    id_number_md5: Option<String>,
    /// SHA-256 of the ID number, 64 hex.
    #[serde(default)]
    id_number_sha256: Option<String>,
}

/// The per-field results of an identity match.
#[derive(Serialize, ToSchema)]
pub struct ChecksOut {
    /// The name's result.
    #[schema(value_type = Option<phoneguard_core::suppliers::MatchResult>)]
    name: Option<&'static str>,
    /// The ID number's result; absent for a name-only (二要素) match.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<phoneguard_core::suppliers::MatchResult>)]
    id_number: Option<Option<&'static str>>,
}

/// Answer of `POST /v1/identity/match`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"result": "match", "checks": {"name": "match", "id_number": "match"},
    "carrier": "cmcc", "supplier": "sandbox", "request_id": "0193…"}))]
pub struct IdentityMatchOut {
    /// The overall result.
    #[schema(value_type = phoneguard_core::suppliers::MatchResult)]
    result: &'static str,
    /// Field by field.
    checks: ChecksOut,
    /// The number's carrier.
    #[schema(value_type = Option<phoneguard_numbering::Carrier>)]
    carrier: Option<&'static str>,
    /// The supplier that answered.
    supplier: String,
    /// The `x-request-id` of the call.
    request_id: String,
}

/// One personal field from its clear or hashed forms (at most one given).
fn personal(
    field: &str,
    clear: Option<&str>,
    md5: Option<&str>,
    sha256: Option<&str>,
    validate: fn(&str) -> Result<String, &'static str>,
) -> Result<Option<Personal>, ApiError> {
    let given = [clear.is_some(), md5.is_some(), sha256.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if given > 1 {
        return Err(ApiError::invalid_field(
            field,
            format!("send one of {field}, {field}_md5, {field}_sha256"),
        ));
    }
    if let Some(c) = clear {
        let v = validate(c).map_err(|m| ApiError::invalid_field(field, m))?;
        return Ok(Some(Personal::clear(&v)));
    }
    if let Some(h) = md5 {
        return Personal::from_md5(h).map(Some).ok_or_else(|| {
            ApiError::invalid_field(
                &format!("{field}_md5"),
                "expected 32 hexadecimal characters",
            )
        });
    }
    if let Some(h) = sha256 {
        return Personal::from_sha256(h).map(Some).ok_or_else(|| {
            ApiError::invalid_field(
                &format!("{field}_sha256"),
                "expected 64 hexadecimal characters",
            )
        });
    }
    Ok(None)
}

/// Parses the phone of an identity query: a Chinese mobile number.
pub fn cn_mobile(s: &AppState, phone: &str) -> Result<NumberInfo, ApiError> {
    let info = lookup(s.numbers, phone).map_err(|e| invalid_number(&e))?;
    if info.country != "CN" || info.carrier.and_then(|c| c.code).is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::InvalidNumber,
            "identity checks cover Chinese mobile numbers of cmcc, cucc, ctcc and cbn only",
        )
        .with(|x| x.reason = Some("unsupported_number".into())));
    }
    Ok(info)
}

/// Validates a name in clear (shared with the compat endpoint).
pub fn name_query(name: &str) -> Result<IdentityQuery, ApiError> {
    let v = validate_name(name).map_err(|m| ApiError::invalid_field("name", m))?;
    Ok(IdentityQuery {
        name: Personal::clear(&v),
        id_number: None,
    })
}

/// 运营商二要素 (name + number) or 三要素 (+ ID number); the input is
/// validated before any supplier is paid.
#[utoipa::path(post, path = "/v1/identity/match", tag = "identity", security(("api_key" = [])),
    request_body = MatchIn,
    responses(
        (status = 200, description = "The carrier's answer.", body = IdentityMatchOut),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
        (status = 503, response = crate::openapi::problem::SupplierUnavailable),
    ))]
async fn post_identity_match(
    Caller(caller): Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MatchIn>,
) -> Result<Json<IdentityMatchOut>, ApiError> {
    let info = cn_mobile(&s, &body.phone)?;
    let name = personal(
        "name",
        body.name.as_deref(),
        body.name_md5.as_deref(),
        body.name_sha256.as_deref(),
        validate_name,
    )?
    .ok_or_else(|| {
        ApiError::invalid_field("name", "name (or name_md5 / name_sha256) is required")
    })?;
    let id_number = personal(
        "id_number",
        body.id_number.as_deref(),
        body.id_number_md5.as_deref(),
        body.id_number_sha256.as_deref(),
        validate_id_number,
    )?;
    tracing::info!(
        phone = %mask(&info.number),
        name = %body.name.as_deref().map(mask_name).unwrap_or_else(|| "[hashed]".into()),
        id_number = %body.id_number.as_deref().map(mask_id_number).unwrap_or_else(|| "-".into()),
        "identity match"
    );
    let three = id_number.is_some();
    crate::limits::admit(
        &s,
        &caller,
        phoneguard_core::limits::ApiCapability::Identity,
        1,
    )
    .await?;
    let (answer, supplier) =
        supply::identity(&s, &caller, &info, IdentityQuery { name, id_number }).await?;
    let checks = ChecksOut {
        name: answer.checks.name.map(|m| m.code()),
        id_number: three.then(|| answer.checks.id_number.map(|m| m.code())),
    };
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(Json(IdentityMatchOut {
        result: answer.result.code(),
        checks,
        carrier: info.carrier.and_then(|c| c.code).map(|c| c.code()),
        supplier,
        request_id: request_id.to_string(),
    }))
}
