//! How a verification call can end other than as asked.

use phoneguard_numbering::ParseError;

use super::model::Status;
use crate::store::error::StoreError;

/// A refused or failed verification call; the HTTP layer maps each to a problem code.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A field is missing or malformed (422 `invalid_request`).
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The phone does not parse (422 `invalid_number`).
    #[error("invalid phone number: {0}")]
    InvalidNumber(ParseError),
    /// No such verification for this tenant (404).
    #[error("no such verification")]
    NotFound,
    /// Its time ran out (409 `verification_expired`).
    #[error("the verification has expired; start a new one")]
    Expired,
    /// Too many wrong checks (409 `max_attempts_reached`).
    #[error("too many wrong checks; start a new verification")]
    MaxAttempts,
    /// It is approved, canceled or failed (409 `verification_closed`).
    #[error("the verification is {}; it can no longer pass", .0.as_str())]
    Closed(Status),
    /// A send limit was reached (429 `rate_limited` with `Retry-After`).
    #[error("{detail}")]
    RateLimited {
        /// Which limit: `phone`, `tenant`, `ip`, `country`, `prefix`, `resend_cooldown`.
        limit: &'static str,
        /// Seconds until a send may succeed.
        retry_after: u64,
        /// For a person.
        detail: String,
    },
    /// The tenant may not send to this country (403 `country_not_allowed`).
    #[error("sending to {0} is not allowed for this tenant; see verify.allowed_countries")]
    CountryBlocked(String),
    /// No supplier could take the message (503 `supplier_unavailable`).
    #[error("{0}")]
    SupplierUnavailable(String),
    /// No supplier could take the first code of a verification, which is kept
    /// as `failed` under `id` (503 `supplier_unavailable` naming it).
    #[error("verification {id} failed: {reason}")]
    Undelivered {
        /// The failed verification.
        id: String,
        /// What the suppliers answered.
        reason: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl VerifyError {
    /// A 422 naming the field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        VerifyError::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The error for a verification that is no longer pending.
    pub fn for_status(status: Status) -> Self {
        match status {
            Status::Expired => VerifyError::Expired,
            Status::MaxAttemptsReached => VerifyError::MaxAttempts,
            other => VerifyError::Closed(other),
        }
    }
}
