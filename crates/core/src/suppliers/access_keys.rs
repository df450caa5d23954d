//! Tenant AccessKey pairs of the Aliyun-compatible front: teams that call
//! Dypnsapi with Aliyun's official server SDK point its endpoint at
//! phoneguard and sign with a pair issued here. Checking a signature needs
//! the secret itself, so it is kept sealed with the master key
//! ([`super::CredentialCipher`], the key id as associated data), never in
//! clear; it is shown once, at creation. A test pair reaches sandbox
//! suppliers only, as a test API key.

use chrono::{DateTime, Utc};

use crate::KeyMode;

/// Prefix of AccessKey ids (Aliyun's are `LTAI…`).
pub const ACCESS_KEY_PREFIX: &str = "PGAK";

/// An AccessKey pair as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    /// `PGAK…`, the `AccessKeyId`.
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// Test pairs reach sandbox suppliers only.
    pub mode: KeyMode,
    /// The secret, sealed (AES-256-GCM under the master key).
    pub secret: Vec<u8>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("mode", &self.mode)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// A new AccessKey id and secret (base62: 20 and 30 characters, like Aliyun's).
pub fn new_access_key() -> (String, String) {
    (
        format!("{ACCESS_KEY_PREFIX}{}", crate::secrets::random_base62(20)),
        crate::secrets::random_base62(30),
    )
}
