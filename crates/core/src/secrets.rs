//! Secrets: generation of API keys and tokens, keyed hashing, constant-time comparison.
//!
//! Keys, tokens and (later) OTP codes are never stored; only their HMAC-SHA256 under
//! the server's hash secret is. The secret lives apart from the hashes (config or the
//! `meta` table), so a leaked database alone cannot be brute-forced offline for
//! low-entropy values such as OTP codes.

use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Random base62 string of `len` characters from the operating system's CSPRNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// A new API key with the mode's prefix and 32 base62 characters (~190 bits).
pub fn new_api_key(prefix: &str) -> String {
    format!("{prefix}{}", random_base62(32))
}

/// The secret under which keys, tokens and codes are hashed.
#[derive(Clone)]
pub struct HashKey(Vec<u8>);

impl std::fmt::Debug for HashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashKey([redacted])")
    }
}

impl HashKey {
    /// Wraps secret bytes (at least 16).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        assert!(bytes.len() >= 16, "hash secret must have at least 16 bytes");
        HashKey(bytes)
    }

    /// HMAC-SHA256 of `value`, with `domain` separating uses (`"api_key"`, `"otp"`, …), hex.
    pub fn hash(&self, domain: &str, value: &str) -> String {
        hex::encode(self.mac(domain, value.as_bytes()))
    }

    /// Raw HMAC-SHA256 of `value` under `domain`.
    pub fn mac(&self, domain: &str, value: &[u8]) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        mac.finalize().into_bytes().into()
    }

    /// The HMAC of one domain with the key schedule done once, for hot paths:
    /// `domain_mac(d).mac(v) == mac(d, v)`.
    pub fn domain_mac(&self, domain: &str) -> DomainMac {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        DomainMac(mac)
    }

    /// Whether `value` hashes to `expected_hex`, compared in constant time.
    pub fn verify(&self, domain: &str, value: &str, expected_hex: &str) -> bool {
        let actual = self.hash(domain, value);
        constant_time_eq(actual.as_bytes(), expected_hex.as_bytes())
    }
}

/// [`HashKey::mac`] for one domain, prepared once (see [`HashKey::domain_mac`]).
#[derive(Clone)]
pub struct DomainMac(Hmac<Sha256>);

impl std::fmt::Debug for DomainMac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DomainMac([redacted])")
    }
}

impl DomainMac {
    /// Raw HMAC-SHA256 of `value` under this domain.
    pub fn mac(&self, value: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(value);
        mac.finalize().into_bytes().into()
    }
}

/// Constant-time equality of two byte strings (length may leak, content does not).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_carry_their_prefix_and_are_unique() {
        let a = new_api_key("pk_test_");
        let b = new_api_key("pk_test_");
        assert!(a.starts_with("pk_test_"));
        assert_eq!(a.len(), 8 + 32);
        assert_ne!(a, b);
        assert!(a[8..].bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn hashes_depend_on_secret_domain_and_value() {
        let k1 = HashKey::new(vec![1u8; 32]);
        let k2 = HashKey::new(vec![2u8; 32]);
        let h = k1.hash("api_key", "pk_test_x");
        assert_eq!(h.len(), 64);
        assert_eq!(h, k1.hash("api_key", "pk_test_x"));
        assert_ne!(h, k2.hash("api_key", "pk_test_x"));
        assert_ne!(h, k1.hash("admin", "pk_test_x"));
        assert_ne!(h, k1.hash("api_key", "pk_test_y"));
        assert!(k1.verify("api_key", "pk_test_x", &h));
        assert!(!k1.verify("api_key", "pk_test_y", &h));
    }

    #[test]
    fn a_prepared_domain_mac_equals_the_plain_one() {
        let k = HashKey::new(vec![7u8; 32]);
        let prepared = k.domain_mac("api_key");
        for v in ["", "pk_test_x", "pk_live_0123456789abcdefghijklmnopqrstuv"] {
            assert_eq!(prepared.mac(v.as_bytes()), k.mac("api_key", v.as_bytes()));
            assert_eq!(
                hex::encode(prepared.mac(v.as_bytes())),
                k.hash("api_key", v)
            );
        }
        assert_ne!(prepared.mac(b"x"), k.mac("otp", b"x"));
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let k = HashKey::new(b"super-secret-bytes-123".to_vec());
        assert!(!format!("{k:?}").contains("super"));
    }
}

/// Decodes a master key given as 64 hex characters or base64 of 32 bytes.
pub fn decode_master_key(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() == 64
        && let Ok(bytes) = hex::decode(s)
    {
        return bytes.try_into().ok();
    }
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
}

#[cfg(test)]
mod master_key_tests {
    use super::decode_master_key;

    #[test]
    fn master_keys_decode_from_hex_or_base64_of_32_bytes() {
        assert_eq!(decode_master_key(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(
            decode_master_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            Some([0; 32])
        );
        assert_eq!(decode_master_key("short"), None);
        assert_eq!(decode_master_key(&"zz".repeat(32)), None);
    }
}
