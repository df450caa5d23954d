//! What tenant and key management hands out and fails with.

use crate::model::ApiKey;
use crate::store::error::StoreError;

/// A key as shown once, at creation (never in `Debug`).
#[derive(Clone)]
pub struct IssuedKey {
    /// The stored record (hash, hint…).
    pub record: ApiKey,
    /// The key itself: shown to the caller once, never stored.
    pub key: String,
}

/// Errors of tenant and key management.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// Bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The name is taken.
    #[error("a tenant named {0:?} exists already")]
    NameTaken(String),
    /// No such tenant or key.
    #[error("{0} not found")]
    NotFound(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("record", &self.record)
            .field("key", &"[REDACTED]")
            .finish()
    }
}
