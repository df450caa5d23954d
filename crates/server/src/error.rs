//! One error type for every handler, written as RFC 9457 problem+json.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use phoneguard_core::StoreError;
use phoneguard_core::verify::VerifyError;

use crate::routes::numbers::invalid_number;

pub use crate::problem::{FieldProblem, Problem, ProblemCode, ProblemExtra, ProblemLimit};

/// Media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer: status, stable `code`, human `detail`, optional extra members.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code (`invalid_number`, `rate_limited`, …).
    pub code: ProblemCode,
    /// What went wrong, for a person.
    pub detail: String,
    /// Extra members (`reason`, `field`, …), when any is set.
    pub extra: Option<Box<ProblemExtra>>,
    /// Seconds for `Retry-After`.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with the given status, code and detail.
    pub fn new(status: StatusCode, code: ProblemCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            extra: None,
            retry_after: None,
        }
    }

    /// Sets extra members of the problem document.
    pub fn with(mut self, set: impl FnOnce(&mut ProblemExtra)) -> Self {
        set(self.extra.get_or_insert_with(Box::default));
        self
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ProblemCode::Unauthorized, detail)
    }
    /// 403 `forbidden`.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ProblemCode::Forbidden, detail)
    }
    /// 404 `not_found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ProblemCode::NotFound, detail)
    }
    /// 422 `invalid_request`, naming the field at fault.
    pub fn invalid_field(field: &str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::InvalidRequest,
            detail,
        )
        .with(|x| x.field = Some(field.to_string()))
    }
    /// 400 `invalid_request` (malformed syntax).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ProblemCode::InvalidRequest, detail)
    }
    /// 409 `conflict`.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ProblemCode::Conflict, detail)
    }
    /// 503 `storage_unavailable`.
    pub fn storage_unavailable() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::StorageUnavailable,
            "the database is not reachable; retry shortly",
        );
        e.retry_after = Some(1);
        e
    }
    /// 500 `internal`: the cause is logged, never shown.
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::Internal,
            "internal error; quote the x-request-id header when reporting it",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::conflict(m),
            StoreError::Unavailable(m) => {
                tracing::warn!(error = %m, "storage unavailable");
                ApiError::storage_unavailable()
            }
            StoreError::Other(m) => ApiError::internal("storage error", m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let none = ProblemExtra::default();
        let extra = self.extra.as_deref().unwrap_or(&none);
        let body = Problem::new(self.status, self.code, &self.detail, extra).to_json();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(s) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

/// How a verification's refusal is answered on the `/v1` API.
impl From<VerifyError> for ApiError {
    fn from(e: VerifyError) -> Self {
        let detail = e.to_string();
        let conflict = |code| ApiError::new(StatusCode::CONFLICT, code, detail.clone());
        match e {
            VerifyError::Invalid { field, message } => ApiError::invalid_field(field, message),
            VerifyError::InvalidNumber(p) => invalid_number(&p),
            VerifyError::NotFound => ApiError::not_found("no such verification"),
            VerifyError::Expired => conflict(ProblemCode::VerificationExpired),
            VerifyError::MaxAttempts => conflict(ProblemCode::MaxAttemptsReached),
            VerifyError::Closed(status) => conflict(ProblemCode::VerificationClosed)
                .with(|x| x.verification_status = Some(status.as_str().into())),
            VerifyError::RateLimited {
                limit, retry_after, ..
            } => {
                let mut a = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ProblemCode::RateLimited,
                    detail,
                )
                .with(|x| x.limit = Some(ProblemLimit::Name(limit)));
                a.retry_after = Some(retry_after);
                a
            }
            VerifyError::CountryBlocked(c) => ApiError::new(
                StatusCode::FORBIDDEN,
                ProblemCode::CountryNotAllowed,
                detail,
            )
            .with(|x| x.country = Some(c)),
            VerifyError::SupplierUnavailable(m) => {
                tracing::warn!(error = %m, "no supplier delivered");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ProblemCode::SupplierUnavailable,
                    "no supplier could deliver the code; retry shortly",
                )
            }
            VerifyError::Undelivered { id, reason } => {
                tracing::warn!(error = %reason, verification = %id, "no supplier delivered the first code");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ProblemCode::SupplierUnavailable,
                    "no supplier could deliver the code; the verification is kept as failed; start again shortly",
                )
                .with(|x| x.verification_id = Some(id))
            }
            VerifyError::Store(s) => s.into(),
        }
    }
}
