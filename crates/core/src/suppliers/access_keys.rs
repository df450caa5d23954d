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

/// Where the Aliyun-compatible front remembers the `SignatureNonce`s it
/// accepted, so a signed request is served once: in process on one node
/// ([`MemoryNonces`]), on Redis when several nodes share a deployment.
#[async_trait::async_trait]
pub trait NonceLedger: Send + Sync {
    /// Records the nonce `key` (AccessKey id and nonce) for `ttl`: `Ok(true)`
    /// the first time, `Ok(false)` when it was recorded before and has not
    /// expired; `Err` when the ledger cannot be reached (the request is then
    /// refused: a replay could not be ruled out).
    async fn first_use(&self, key: &str, ttl: std::time::Duration) -> Result<bool, String>;
}

/// [`NonceLedger`] in process: one node's memory, bounded.
pub struct MemoryNonces(moka::sync::Cache<String, ()>);

impl MemoryNonces {
    /// A ledger holding at most `capacity` nonces, each for `ttl`.
    pub fn new(capacity: u64, ttl: std::time::Duration) -> Self {
        MemoryNonces(
            moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
        )
    }
}

#[async_trait::async_trait]
impl NonceLedger for MemoryNonces {
    async fn first_use(&self, key: &str, _ttl: std::time::Duration) -> Result<bool, String> {
        Ok(self.0.entry(key.to_string()).or_insert(()).is_fresh())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_nonces_accept_a_nonce_once() {
        let n = MemoryNonces::new(100, std::time::Duration::from_secs(60));
        let ttl = std::time::Duration::from_secs(60);
        assert_eq!(n.first_use("PGAKa\u{1f}n1", ttl).await, Ok(true));
        assert_eq!(n.first_use("PGAKa\u{1f}n1", ttl).await, Ok(false));
        assert_eq!(n.first_use("PGAKb\u{1f}n1", ttl).await, Ok(true));
    }
}
