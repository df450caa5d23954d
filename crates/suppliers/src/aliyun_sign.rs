//! Aliyun POP signatures, both ways (the `aliyun_dypns` adapter signs; the
//! Aliyun-compatible front verifies):
//!
//! - **ACS3-HMAC-SHA256** (V3, the official SDKs' default): a canonical
//!   request `METHOD\nURI\nQUERY\nHEADERS\nSIGNED_HEADERS\nPAYLOAD_SHA256`,
//!   string to sign `ACS3-HMAC-SHA256\n` + hex SHA-256 of it, signature hex
//!   HMAC-SHA256 under the AccessKey secret, sent as
//!   `Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=a;b,Signature=<hex>`.
//! - **RPC HMAC-SHA1** (V2, `signature_algorithm='v2'`): sorted, encoded
//!   parameters, string to sign `METHOD&%2F&` + encode(them), signature
//!   base64 HMAC-SHA1 under `secret&`, sent as the `Signature` parameter.
//!
//! Encoding is RFC 3986 (`A–Z a–z 0–9 - _ . ~` kept, the rest `%XX`), as the
//! SDKs' `quote(v, safe='~')`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The V3 algorithm name.
pub const ACS3: &str = "ACS3-HMAC-SHA256";

/// RFC 3986 percent-encoding, upper-case hex.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// `k=v&…` sorted by key (then value), keys and values encoded.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    sorted.sort();
    let mut out = String::new();
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// What a V3 signature covers.
pub struct Acs3Request<'a> {
    /// `POST`.
    pub method: &'a str,
    /// The path, `/` for RPC.
    pub path: &'a str,
    /// Query parameters, decoded.
    pub query: &'a [(String, String)],
    /// `(lower-case name, value)` of every header the signature covers
    /// (several values of one name are joined sorted with `,`).
    pub headers: &'a [(String, String)],
    /// Hex SHA-256 of the body.
    pub payload_sha256: &'a str,
}

/// The canonical request and the `SignedHeaders` list.
pub fn acs3_canonical(r: &Acs3Request<'_>) -> (String, String) {
    let mut names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut headers = String::new();
    for n in &names {
        let mut vals: Vec<&str> = r
            .headers
            .iter()
            .filter(|(k, _)| k == n)
            .map(|(_, v)| v.trim())
            .collect();
        vals.sort_unstable();
        headers.push_str(n);
        headers.push(':');
        headers.push_str(&vals.join(","));
        headers.push('\n');
    }
    let signed = names.join(";");
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        r.method,
        if r.path.is_empty() { "/" } else { r.path },
        canonical_query(r.query),
        headers,
        signed,
        r.payload_sha256
    );
    (canonical, signed)
}

/// The hex V3 signature of a request under `secret`, with its `SignedHeaders`.
pub fn acs3_sign(secret: &str, r: &Acs3Request<'_>) -> (String, String) {
    let (canonical, signed) = acs3_canonical(r);
    let to_sign = format!("{ACS3}\n{}", sha256_hex(canonical.as_bytes()));
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(to_sign.as_bytes());
    (hex::encode(mac.finalize().into_bytes()), signed)
}

/// The `Authorization` header of a V3 request.
pub fn acs3_authorization(access_key_id: &str, secret: &str, r: &Acs3Request<'_>) -> String {
    let (sig, signed) = acs3_sign(secret, r);
    format!("{ACS3} Credential={access_key_id},SignedHeaders={signed},Signature={sig}")
}

/// The parts of a V3 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Authorization {
    /// AccessKey id.
    pub access_key_id: String,
    /// Lower-case header names, in the order given.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Parses `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
pub fn parse_acs3_authorization(h: &str) -> Option<Acs3Authorization> {
    let rest = h.strip_prefix(ACS3)?.trim_start();
    let (mut id, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => id = Some(v.to_string()),
            "SignedHeaders" => {
                signed = Some(v.split(';').map(str::to_ascii_lowercase).collect());
            }
            "Signature" => sig = Some(v.to_string()),
            _ => return None,
        }
    }
    Some(Acs3Authorization {
        access_key_id: id.filter(|s| !s.is_empty())?,
        signed_headers: signed?,
        signature: sig?,
    })
}

/// The base64 V2 (RPC, HMAC-SHA1) signature of `params` (without
/// `Signature`) for `method`, under `secret`.
pub fn rpc_sign(method: &str, params: &[(String, String)], secret: &str) -> String {
    use base64::Engine as _;
    let to_sign = format!("{method}&%2F&{}", encode(&canonical_query(params)));
    let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("any key length");
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Decodes a `application/x-www-form-urlencoded` string (a query or a form
/// body) into pairs; `+` is a space.
pub fn decode_pairs(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Produced by Aliyun's official Python SDK (alibabacloud_dypnsapi20170525
    // 2.0.0 with alibabacloud-tea-openapi 0.4.6) with the date and nonce fixed:
    // scripts/aliyun/make_signature_vector.py. GetMobile, AccessToken
    // `tok-ABC_123=+/ 中`, key LTAI5tTestKeyId000001 / testSecret0123456789abcdefghij.
    const SECRET: &str = "testSecret0123456789abcdefghij";
    const SDK_QUERY: &str = "AccessToken=tok-ABC_123%3D%2B%2F+%E4%B8%AD";
    const SDK_HEADERS: [(&str, &str); 9] = [
        ("accept", "application/json"),
        ("host", "127.0.0.1:33433"),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-action", "GetMobile"),
        (
            "x-acs-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("x-acs-credentials-provider", "static_ak"),
        ("x-acs-date", "2026-12-07T03:00:00Z"),
        ("x-acs-signature-nonce", "3f1b5c0e-nonce-fixed"),
        ("x-acs-version", "2017-05-25"),
    ];
    const SDK_AUTHORIZATION: &str = "ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId000001,\
        SignedHeaders=accept;host;user-agent;x-acs-action;x-acs-content-sha256;\
        x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,\
        Signature=a720f3f7afa45d0be4ab751e04f7bf3bbcf4c401ce4ea7700b1f9de3cbba8b80";
    const SDK_RPC_QUERY: &str = "Action=GetMobile&Format=json&Version=2017-05-25\
        &Timestamp=2026-12-07T03%3A00%3A00Z&SignatureNonce=3f1b5c0e-nonce-fixed\
        &AccessToken=tok-ABC_123%3D%2B%2F+%E4%B8%AD&SignatureMethod=HMAC-SHA1\
        &SignatureVersion=1.0&AccessKeyId=LTAI5tTestKeyId000001\
        &Signature=p0xq%2FRIf2hAzDep3n1tVyhcmJDA%3D";

    #[test]
    fn acs3_matches_the_official_sdk() {
        let query = decode_pairs(SDK_QUERY);
        let headers: Vec<(String, String)> = SDK_HEADERS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let r = Acs3Request {
            method: "POST",
            path: "/",
            query: &query,
            headers: &headers,
            payload_sha256: &sha256_hex(b""),
        };
        assert_eq!(
            acs3_authorization("LTAI5tTestKeyId000001", SECRET, &r),
            SDK_AUTHORIZATION
        );
        let parsed = parse_acs3_authorization(SDK_AUTHORIZATION).unwrap();
        assert_eq!(parsed.access_key_id, "LTAI5tTestKeyId000001");
        assert_eq!(parsed.signed_headers.len(), 9);
        assert_ne!(acs3_sign("wrong", &r).0, parsed.signature);
    }

    #[test]
    fn rpc_hmac_sha1_matches_the_official_sdk() {
        let mut params = decode_pairs(SDK_RPC_QUERY);
        let sig = params
            .iter()
            .position(|(k, _)| k == "Signature")
            .map(|i| params.remove(i).1)
            .unwrap();
        assert_eq!(sig, "p0xq/RIf2hAzDep3n1tVyhcmJDA=");
        assert_eq!(rpc_sign("POST", &params, SECRET), sig);
        assert_ne!(rpc_sign("POST", &params, "wrong"), sig);
    }

    #[test]
    fn encoding_is_rfc3986() {
        assert_eq!(encode("a b+c*~/中"), "a%20b%2Bc%2A~%2F%E4%B8%AD");
        assert!(parse_acs3_authorization("Bearer x").is_none());
    }
}
