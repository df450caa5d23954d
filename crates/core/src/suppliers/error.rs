//! How a supplier call can fail. Every failure lets the router move on to the
//! next supplier; none of them carries personal data.

use std::time::Duration;

/// A failed supplier call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupplierError {
    /// No answer within the time allowed.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Connection refused, reset, DNS, TLS… .
    #[error("transport error: {0}")]
    Transport(String),
    /// The vendor answered with a non-success HTTP status.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// The vendor answered with a business error code (bad credentials, no balance…).
    #[error("vendor error {code}: {message}")]
    Business {
        /// The vendor's code.
        code: String,
        /// The vendor's message.
        message: String,
    },
    /// The answer could not be understood.
    #[error("bad response: {0}")]
    BadResponse(String),
    /// The supplier cannot answer this query (capability, hashed input, configuration).
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl SupplierError {
    /// The stable outcome label of call records and metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            SupplierError::Timeout(_) => "timeout",
            SupplierError::Transport(_) => "transport",
            SupplierError::HttpStatus(_) => "http_status",
            SupplierError::Business { .. } => "business",
            SupplierError::BadResponse(_) => "bad_response",
            SupplierError::Unsupported(_) => "unsupported",
        }
    }

    /// Whether this failure says something about the supplier's health (an
    /// `Unsupported` query does not).
    pub fn counts_against_health(&self) -> bool {
        !matches!(self, SupplierError::Unsupported(_))
    }
}
