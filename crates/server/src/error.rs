//! One error type for every handler, written as RFC 9457 problem+json.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use phoneguard_core::StoreError;

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
