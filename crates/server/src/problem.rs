//! The problem+json error document (RFC 9457) every error answer of the API
//! carries: the type that is serialized is the type the OpenAPI document
//! describes.

use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// Every stable `code` an error answer may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[cfg_attr(test, derive(serde::Deserialize))]
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
    /// 414: the request line is longer than the server reads.
    UriTooLong,
    /// 431: too many header fields, or too large ones.
    HeadersTooLarge,
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
    /// 422: the carrier token is not one (damaged, made up, another tenant's).
    TokenInvalid,
    /// 409: the carrier token's lifetime is over.
    TokenExpired,
    /// 409: the carrier token was exchanged before.
    TokenUsed,
}

impl ProblemCode {
    /// The code as sent, e.g. `invalid_request`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProblemCode::InvalidRequest => "invalid_request",
            ProblemCode::InvalidNumber => "invalid_number",
            ProblemCode::InvalidRules => "invalid_rules",
            ProblemCode::Unauthorized => "unauthorized",
            ProblemCode::Forbidden => "forbidden",
            ProblemCode::CountryNotAllowed => "country_not_allowed",
            ProblemCode::NotFound => "not_found",
            ProblemCode::MethodNotAllowed => "method_not_allowed",
            ProblemCode::NotAcceptable => "not_acceptable",
            ProblemCode::RequestTimeout => "request_timeout",
            ProblemCode::Conflict => "conflict",
            ProblemCode::VerificationExpired => "verification_expired",
            ProblemCode::MaxAttemptsReached => "max_attempts_reached",
            ProblemCode::VerificationClosed => "verification_closed",
            ProblemCode::PayloadTooLarge => "payload_too_large",
            ProblemCode::UriTooLong => "uri_too_long",
            ProblemCode::HeadersTooLarge => "headers_too_large",
            ProblemCode::UnsupportedMediaType => "unsupported_media_type",
            ProblemCode::RateLimited => "rate_limited",
            ProblemCode::QuotaExceeded => "quota_exceeded",
            ProblemCode::Internal => "internal",
            ProblemCode::Unavailable => "unavailable",
            ProblemCode::StorageUnavailable => "storage_unavailable",
            ProblemCode::CountersUnavailable => "counters_unavailable",
            ProblemCode::SupplierUnavailable => "supplier_unavailable",
            ProblemCode::Timeout => "timeout",
            ProblemCode::TokenInvalid => "token_invalid",
            ProblemCode::TokenExpired => "token_expired",
            ProblemCode::TokenUsed => "token_used",
        }
    }

    /// The code of a bare status produced outside our handlers (rejections,
    /// layers, fallbacks).
    pub fn for_status(status: StatusCode) -> ProblemCode {
        match status.as_u16() {
            400 | 422 => ProblemCode::InvalidRequest,
            401 => ProblemCode::Unauthorized,
            403 => ProblemCode::Forbidden,
            404 => ProblemCode::NotFound,
            405 => ProblemCode::MethodNotAllowed,
            406 => ProblemCode::NotAcceptable,
            408 => ProblemCode::RequestTimeout,
            413 => ProblemCode::PayloadTooLarge,
            414 => ProblemCode::UriTooLong,
            415 => ProblemCode::UnsupportedMediaType,
            429 => ProblemCode::RateLimited,
            431 => ProblemCode::HeadersTooLarge,
            503 => ProblemCode::Unavailable,
            504 => ProblemCode::Timeout,
            _ if status.is_server_error() => ProblemCode::Internal,
            _ => ProblemCode::InvalidRequest,
        }
    }
}

/// One bad field of a request (risk events list all of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field's name.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// The members some problems add, each named by the codes that carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProblemExtra {
    /// The request field at fault (`invalid_request`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why a number cannot be read (`invalid_number`): `empty`, `too_short`,
    /// `too_long`, `not_a_number`, `invalid_country_code`,
    /// `unallocated_segment`, `invalid_number`, `unsupported_number`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every bad field (risk events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
    /// The capability that was refused or that no supplier could answer
    /// (`rate_limited`, `quota_exceeded`, `supplier_unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// Whose limit was hit: `tenant`, `key`, … (`rate_limited`, `quota_exceeded`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The limit that was hit (`rate_limited`, `quota_exceeded`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<ProblemLimit>,
    /// The destination country refused (`country_not_allowed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The state of a closed verification (`verification_closed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<String>,
    /// The verification kept as failed when its first code could not be
    /// delivered (`supplier_unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_id: Option<String>,
}

/// The `limit` member: how many calls an API rate limit or quota allows, or
/// which named limit refused: a send limit of a verification (`phone`,
/// `tenant`, `ip`, `country`, `prefix`, `resend_cooldown`) or the throttle of
/// failed admin authentication (`auth_failures`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ProblemLimit {
    /// Calls per second (`rate_limited`) or per day (`quota_exceeded`).
    Count(u64),
    /// The named limit that refused.
    Name(&'static str),
}

/// An RFC 9457 problem document: every error answer of the API.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://phoneguard.dev/problems/invalid_number",
    "title": "Unprocessable Entity",
    "status": 422,
    "code": "invalid_number",
    "detail": "the number has too few digits (5)",
    "reason": "too_short"
}))]
pub struct Problem<'a> {
    /// `https://phoneguard.dev/problems/{code}`.
    #[serde(rename = "type")]
    type_: String,
    /// The HTTP reason phrase of `status`.
    title: &'static str,
    /// The HTTP status.
    status: u16,
    /// The stable machine code.
    code: ProblemCode,
    /// What went wrong, for a person.
    detail: &'a str,
    /// The members of some codes.
    #[serde(flatten)]
    extra: &'a ProblemExtra,
}

impl<'a> Problem<'a> {
    /// The document of a status, code, detail and extra members.
    pub fn new(
        status: StatusCode,
        code: ProblemCode,
        detail: &'a str,
        extra: &'a ProblemExtra,
    ) -> Self {
        Problem {
            type_: format!("https://phoneguard.dev/problems/{}", code.as_str()),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            code,
            detail,
            extra,
        }
    }

    /// The document as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_carries_its_code_type_title_and_only_the_members_set() {
        let extra = ProblemExtra {
            capability: Some("status".into()),
            limit: Some(ProblemLimit::Count(5)),
            ..ProblemExtra::default()
        };
        let p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            ProblemCode::QuotaExceeded,
            "used up",
            &extra,
        );
        let v: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "https://phoneguard.dev/problems/quota_exceeded",
                "title": "Too Many Requests", "status": 429, "code": "quota_exceeded",
                "detail": "used up", "capability": "status", "limit": 5})
        );
    }

    /// `as_str` spells every code as serde (and the OpenAPI document) does:
    /// the schema's enum is derived from the variants, so it lists them all.
    #[test]
    fn every_code_is_sent_as_its_serde_name() {
        let schema =
            serde_json::to_value(<ProblemCode as utoipa::PartialSchema>::schema()).unwrap();
        let names = schema["enum"].as_array().expect("a string enum");
        assert!(names.len() >= 26, "{schema}");
        for name in names {
            let code: ProblemCode = serde_json::from_value(name.clone()).unwrap();
            assert_eq!(code.as_str(), name, "{code:?}");
            assert_eq!(serde_json::to_value(code).unwrap(), *name);
        }
    }
}
