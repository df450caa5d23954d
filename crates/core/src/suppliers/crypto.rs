//! Supplier credentials at rest: AES-256-GCM under the master key, a random
//! 96-bit nonce per write, the supplier id bound as associated data (a blob
//! copied onto another supplier's row does not decrypt).
//!
//! Blob layout: `0x01 ‖ nonce (12 bytes) ‖ ciphertext with its 16-byte tag`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use serde_json::Value;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Why credentials could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// Wrong master key, wrong supplier id, or a damaged blob.
    #[error("credentials of supplier {0} cannot be decrypted (wrong master key or damaged data)")]
    Open(String),
    /// Encryption failed (never expected).
    #[error("credentials cannot be encrypted")]
    Seal,
}

/// Seals and opens supplier credentials.
#[derive(Clone)]
pub struct CredentialCipher(Aes256Gcm);

impl std::fmt::Debug for CredentialCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialCipher([redacted])")
    }
}

impl CredentialCipher {
    /// A cipher under a 32-byte master key.
    pub fn new(master_key: &[u8; 32]) -> Self {
        CredentialCipher(Aes256Gcm::new(master_key.into()))
    }

    /// Encrypts a credentials object for `supplier_id`.
    pub fn seal(&self, supplier_id: &str, credentials: &Value) -> Result<Vec<u8>, CryptoError> {
        let plain = serde_json::to_vec(credentials).map_err(|_| CryptoError::Seal)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .0
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: supplier_id.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts the blob of `supplier_id`.
    pub fn open(&self, supplier_id: &str, blob: &[u8]) -> Result<Value, CryptoError> {
        let err = || CryptoError::Open(supplier_id.to_string());
        if blob.len() < 1 + NONCE_LEN + 16 || blob[0] != VERSION {
            return Err(err());
        }
        let nonce: [u8; NONCE_LEN] = blob[1..1 + NONCE_LEN].try_into().map_err(|_| err())?;
        let plain = self
            .0
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &blob[1 + NONCE_LEN..],
                    aad: supplier_id.as_bytes(),
                },
            )
            .map_err(|_| err())?;
        serde_json::from_slice(&plain).map_err(|_| err())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credentials_round_trip_and_are_bound_to_their_supplier() {
        let c = CredentialCipher::new(&[7; 32]);
        let creds = json!({"appcode": "83359fd73fe94948385f570e3c139105"});
        let blob = c.seal("aliyun-a", &creds).unwrap();
        assert!(!blob.windows(8).any(|w| w == b"83359fd7"), "not in clear");
        assert_eq!(c.open("aliyun-a", &blob).unwrap(), creds);
        assert!(c.open("aliyun-b", &blob).is_err(), "id is associated data");
        assert!(
            CredentialCipher::new(&[8; 32])
                .open("aliyun-a", &blob)
                .is_err()
        );
        assert_ne!(blob, c.seal("aliyun-a", &creds).unwrap(), "fresh nonce");
        let mut bad = blob.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(c.open("aliyun-a", &bad).is_err());
        assert!(c.open("aliyun-a", &blob[..10]).is_err());
    }
}
