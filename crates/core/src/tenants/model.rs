//! Tenants, API keys, the principal a key resolves to, and what tenant and
//! key management hands out and fails with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::error::StoreError;

/// A customer of the gateway: every key, supplier call and result belongs to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// `ten_…`
    pub id: String,
    /// Display name, unique.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Whether a key may reach real suppliers (`live`) or only sandbox ones (`test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// `pk_test_…`: sandbox suppliers only.
    Test,
    /// `pk_live_…`: real suppliers only (never a `sandbox` one).
    Live,
}

impl KeyMode {
    /// `"test"` or `"live"`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyMode::Test => "test",
            KeyMode::Live => "live",
        }
    }

    /// Parses `"test"` or `"live"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(KeyMode::Test),
            "live" => Some(KeyMode::Live),
            _ => None,
        }
    }

    /// The public prefix of keys of this mode.
    pub fn key_prefix(self) -> &'static str {
        match self {
            KeyMode::Test => "pk_test_",
            KeyMode::Live => "pk_live_",
        }
    }
}

/// An API key as stored: only its keyed hash, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// `key_…`
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// Test or live.
    pub mode: KeyMode,
    /// HMAC-SHA256 of the key under the server's hash secret, hex.
    #[serde(skip)]
    pub hash: String,
    /// The first characters of the key (`pk_test_Ab12…`) so an operator can tell keys apart.
    pub hint: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who is calling: resolved from an API key on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The tenant that owns the key.
    pub tenant_id: String,
    /// The key's id (`key_…`).
    pub key_id: String,
    /// Test keys reach sandbox suppliers only.
    pub mode: KeyMode,
}

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
