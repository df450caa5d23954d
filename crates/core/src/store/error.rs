//! [`StoreError`]: what storage calls can fail with, shared by every port.

/// What can go wrong in storage, in terms callers can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness or foreign-key constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or timed out: retry later, answer 503.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a bug or corrupt data): logged with context, answered 500.
    #[error("storage error: {0}")]
    Other(String),
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StoreError>;
