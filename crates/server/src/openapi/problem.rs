//! The reusable problem+json responses of the OpenAPI document (the
//! document itself is [`crate::problem::Problem`]).

use axum::http::StatusCode;
use utoipa::ToResponse;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::error::{PROBLEM_JSON, Problem, ProblemCode, ProblemExtra};

/// Declares reusable problem+json responses: a marker type per response,
/// referenced from handlers as `response = problem::NotFound`.
macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident = ($status:literal, $code:ident, $description:literal);)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    (stringify!($name), response($description, ProblemCode::$code, $status))
                }
            }
        )*
    };
}

problem_responses! {
    /// Any error; `code` tells which (the `default` of every operation).
    Error = (500, Internal, "An error (problem+json); `code` tells which.");
    /// 400/422 `invalid_request`.
    InvalidRequest = (422, InvalidRequest, "Malformed syntax (400) or a bad field (422); `field` names it.");
    /// 422 `invalid_number`.
    InvalidNumber = (422, InvalidNumber, "The number cannot be read; `reason` tells why.");
    /// 401 `unauthorized`.
    Unauthorized = (401, Unauthorized, "No credential, or an unknown or revoked one.");
    /// 403 `forbidden`.
    Forbidden = (403, Forbidden, "The wrong kind of credential (an API key on an admin endpoint, or the reverse).");
    /// 404 `not_found`.
    NotFound = (404, NotFound, "No such resource.");
    /// 409 `conflict` and the verification codes.
    Conflict = (409, Conflict, "The resource exists already, or is in a state that forbids this.");
    /// 429 `rate_limited`.
    RateLimited = (429, RateLimited, "Too many requests; retry after `Retry-After` seconds.");
    /// 503 `supplier_unavailable`.
    SupplierUnavailable = (503, SupplierUnavailable, "No supplier could answer; retry after `Retry-After` seconds.");
    /// 503 `storage_unavailable`.
    StorageUnavailable = (503, StorageUnavailable, "The database is not reachable; retry shortly.");
}

/// A problem+json response with an example document of `code`.
fn response(description: &str, code: ProblemCode, status: u16) -> RefOr<Response> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let extra = ProblemExtra::default();
    let example =
        serde_json::to_value(Problem::new(status, code, description, &extra)).unwrap_or_default();
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
