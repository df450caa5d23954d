//! Signature verification cost of the Aliyun-compatible front, per request:
//! opening the AccessKey secret (AES-256-GCM), canonicalizing and HMAC-ing a
//! GetMobile request, for ACS3-HMAC-SHA256 and for RPC HMAC-SHA1.
//!
//! `cargo bench -p phoneguard-suppliers --bench aliyun_sign`

use std::time::Instant;

use phoneguard_core::suppliers::CredentialCipher;
use phoneguard_suppliers::aliyun_sign::{
    Acs3Request, acs3_sign, decode_pairs, parse_acs3_authorization, rpc_sign, sha256_hex,
};

const N: u32 = 200_000;

fn main() {
    let cipher = CredentialCipher::new(&[7; 32]);
    let blob = cipher
        .seal(
            "PGAKbench",
            &serde_json::json!("testSecret0123456789abcdefghij"),
        )
        .unwrap();
    let auth = "ACS3-HMAC-SHA256 Credential=PGAKbench,SignedHeaders=accept;host;user-agent;\
        x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=00";
    let headers: Vec<(String, String)> = [
        ("accept", "application/json"),
        ("host", "127.0.0.1:8080"),
        (
            "user-agent",
            "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        ),
        ("x-acs-action", "GetMobile"),
        (
            "x-acs-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("x-acs-date", "2026-12-07T03:00:00Z"),
        ("x-acs-signature-nonce", "3f1b5c0e-nonce-fixed"),
        ("x-acs-version", "2017-05-25"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let query = "AccessToken=STsid0000001512438403572hQSEygBwiYc9fIw0vbMvm4o";
    let t = Instant::now();
    let mut sink = 0usize;
    for _ in 0..N {
        let secret = cipher.open("PGAKbench", &blob).unwrap();
        let a = parse_acs3_authorization(auth).unwrap();
        let q = decode_pairs(query);
        let (sig, _) = acs3_sign(
            secret.as_str().unwrap(),
            &Acs3Request {
                method: "POST",
                path: "/",
                query: &q,
                headers: &headers,
                payload_sha256: &sha256_hex(b""),
            },
        );
        sink += sig.len() + a.signature.len();
    }
    println!(
        "ACS3-HMAC-SHA256 verify: {:.2} µs/request (n={N})",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(N)
    );
    let rpc = "Action=GetMobile&Format=json&Version=2017-05-25&Timestamp=2026-12-07T03%3A00%3A00Z\
        &SignatureNonce=3f1b5c0e-nonce-fixed&AccessToken=STsid0000001512438403572hQSEygBwiYc9fIw0vbMvm4o\
        &SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=PGAKbench";
    let t = Instant::now();
    for _ in 0..N {
        let secret = cipher.open("PGAKbench", &blob).unwrap();
        let p = decode_pairs(rpc);
        sink += rpc_sign("POST", &p, secret.as_str().unwrap()).len();
    }
    println!(
        "RPC HMAC-SHA1 verify: {:.2} µs/request (n={N})",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(N)
    );
    assert!(sink > 0);
}
