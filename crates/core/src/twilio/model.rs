//! A Verify service: the app name and code length of a tenant's verifications.

use chrono::{DateTime, Utc};

/// A Verify v2 service as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyServiceRecord {
    /// `VA` + 32 hex.
    pub sid: String,
    /// Owner.
    pub tenant_id: String,
    /// The app name in the message text.
    pub friendly_name: String,
    /// Digits of the codes, 4–10.
    pub code_length: u32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What a create or update sets; `None` keeps (or, on create, defaults).
#[derive(Debug, Clone, Default)]
pub struct ServiceInput {
    /// `FriendlyName`: 1–30 printable characters.
    pub friendly_name: Option<String>,
    /// `CodeLength`: 4–10 (default 6).
    pub code_length: Option<u32>,
}
