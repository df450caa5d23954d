//! The problem+json error document and the reusable error responses of the
//! OpenAPI document.

use serde::Serialize;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{ToResponse, ToSchema};

use crate::error::PROBLEM_JSON;

/// Every stable `code` an error answer may carry.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// 400/422: malformed syntax, a wrong type, a missing or bad field (see `field`).
    InvalidRequest,
    /// 422: the phone number cannot be read (see `reason`).
    InvalidNumber,
    /// 422: risk rules that do not compile.
    InvalidRules,
    /// 401: no key, an unknown or revoked key, a bad signature.
    Unauthorized,
    /// 403: the wrong kind of credential, or a destination country not allowed.
    Forbidden,
    /// 403: the tenant may not send codes to this country.
    CountryNotAllowed,
    /// 404: no such resource.
    NotFound,
    /// 405: the method is not allowed on this path.
    MethodNotAllowed,
    /// 406: the requested media type cannot be produced.
    NotAcceptable,
    /// 408: the request took too long to arrive.
    RequestTimeout,
    /// 409: the resource already exists or is in another state.
    Conflict,
    /// 409: the verification's time ran out.
    VerificationExpired,
    /// 409: too many wrong codes.
    MaxAttemptsReached,
    /// 409: the verification is approved, canceled or failed.
    VerificationClosed,
    /// 413: the body is larger than 64 KiB.
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 429: too many requests (see `Retry-After`).
    RateLimited,
    /// 429: the daily quota is used up (see `Retry-After`).
    QuotaExceeded,
    /// 500: a bug; quote the `x-request-id` header when reporting it.
    Internal,
    /// 503: the service is temporarily unavailable.
    Unavailable,
    /// 503: the database is not reachable.
    StorageUnavailable,
    /// 503: the shared risk counters are not reachable.
    CountersUnavailable,
    /// 503: no supplier could answer (see `capability`).
    SupplierUnavailable,
    /// 504: the request took too long.
    Timeout,
}

/// One bad field of a request (risk events list all of them).
#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field's name.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An RFC 9457 problem document: every error answer of the API.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://phoneguard.dev/problems/invalid_number",
    "title": "Unprocessable Entity",
    "status": 422,
    "code": "invalid_number",
    "detail": "the number has too few digits (5)",
    "reason": "too_short"
}))]
pub struct Problem {
    /// `https://phoneguard.dev/problems/{code}`.
    #[serde(rename = "type")]
    type_: String,
    /// The HTTP reason phrase of `status`.
    title: String,
    /// The HTTP status.
    status: u16,
    /// The stable machine code.
    code: ProblemCode,
    /// What went wrong, for a person.
    detail: String,
    /// The request field at fault (`invalid_request`).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// Why a number cannot be read (`invalid_number`): `empty`, `too_short`,
    /// `too_long`, `not_a_number`, `invalid_country_code`,
    /// `unallocated_segment`, `invalid_number`, `unsupported_number`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// Every bad field (risk events).
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldProblem>>,
    /// The capability no supplier could answer (`supplier_unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    capability: Option<String>,
    /// The limit that was hit (`rate_limited`).
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
    /// The destination country refused (`country_not_allowed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<String>,
    /// The state of a closed verification (`verification_closed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_status: Option<String>,
}

/// Declares reusable problem+json responses: a marker type per response,
/// referenced from handlers as `response = problem::NotFound`.
macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident = ($status:literal, $code:literal, $description:literal);)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), response($description, $code, $status))
                }
            }
        )*
    };
}

problem_responses! {
    /// Any error; `code` tells which (the `default` of every operation).
    Error = (500, "internal", "An error (problem+json); `code` tells which.");
    /// 400/422 `invalid_request`.
    InvalidRequest = (422, "invalid_request", "Malformed syntax (400) or a bad field (422); `field` names it.");
    /// 422 `invalid_number`.
    InvalidNumber = (422, "invalid_number", "The number cannot be read; `reason` tells why.");
    /// 401 `unauthorized`.
    Unauthorized = (401, "unauthorized", "No credential, or an unknown or revoked one.");
    /// 403 `forbidden`.
    Forbidden = (403, "forbidden", "The wrong kind of credential (an API key on an admin endpoint, or the reverse).");
    /// 404 `not_found`.
    NotFound = (404, "not_found", "No such resource.");
    /// 409 `conflict` and the verification codes.
    Conflict = (409, "conflict", "The resource exists already, or is in a state that forbids this.");
    /// 429 `rate_limited`.
    RateLimited = (429, "rate_limited", "Too many requests; retry after `Retry-After` seconds.");
    /// 503 `supplier_unavailable`.
    SupplierUnavailable = (503, "supplier_unavailable", "No supplier could answer; retry after `Retry-After` seconds.");
    /// 503 `storage_unavailable`.
    StorageUnavailable = (503, "storage_unavailable", "The database is not reachable; retry shortly.");
}

/// A problem+json response with an example document of `code`.
fn response(description: &str, code: &str, status: u16) -> RefOr<Response> {
    let example = serde_json::json!({
        "type": format!("https://phoneguard.dev/problems/{code}"),
        "title": axum::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error"),
        "status": status,
        "code": code,
        "detail": description,
    });
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .example(Some(example))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, content)
        .build()
        .into()
}
