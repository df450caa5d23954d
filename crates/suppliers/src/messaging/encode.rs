//! Percent-encoding and HMAC helpers shared by the vendor adapters.

use hmac::{Hmac, KeyInit, Mac};

/// RFC 3986 percent-encoding as Aliyun's RPC signature wants it: every byte
/// but `A-Z a-z 0-9 - _ . ~` as `%XX` in upper case (so a space is `%20`, `*`
/// is `%2A` and `~` stays).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// HMAC-SHA1.
pub fn hmac_sha1(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m =
        <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// HMAC-SHA256.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Base64 (standard alphabet, padded).
pub fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Maps an HTTP failure of a vendor call.
pub fn transport(e: reqwest::Error) -> phoneguard_core::suppliers::SupplierError {
    use phoneguard_core::suppliers::SupplierError;
    if e.is_timeout() {
        SupplierError::Timeout(std::time::Duration::from_secs(5))
    } else if let Some(s) = e.status() {
        SupplierError::HttpStatus(s.as_u16())
    } else {
        SupplierError::Transport(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_follows_the_rpc_rules() {
        assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
        assert_eq!(percent_encode("{\"k\":1}"), "%7B%22k%22%3A1%7D");
    }
}
