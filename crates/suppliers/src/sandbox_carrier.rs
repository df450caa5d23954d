//! Sandbox carrier tokens: what `POST /v1/sandbox/carrier-tokens` hands out
//! and what `sandbox` suppliers of `carrier_auth` exchange.
//!
//! A token is `ctk_` + base64url of an AES-256-GCM blob (key derived from the
//! hash secret, the tenant id as associated data) holding the number, its
//! carrier and the expiry: nothing is stored at issue, and a token of another
//! tenant, or a damaged one, does not open (`token_invalid`). The single-use
//! mark is the token's keyed hash in the store, kept until the token expires.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use phoneguard_core::secrets::HashKey;
use phoneguard_core::suppliers::{
    CarrierAnswer, CarrierQuery, CarrierVerdict, CredentialCipher, Query, SupplierError,
    TokenProblem,
};
use serde::{Deserialize, Serialize};

use crate::AdapterContext;

/// Token prefix.
pub const PREFIX: &str = "ctk_";
/// Default lifetime (China Mobile's).
pub const DEFAULT_TTL_S: u32 = 120;
/// Longest lifetime a sandbox token may be given.
pub const MAX_TTL_S: u32 = 3600;

#[derive(Serialize, Deserialize)]
struct Claims {
    /// E.164.
    p: String,
    /// Carrier code.
    c: Option<String>,
    /// Expiry, Unix milliseconds.
    x: i64,
}

fn cipher(key: &HashKey) -> CredentialCipher {
    CredentialCipher::new(&key.mac("sandbox_carrier_token", b"aes-256-gcm"))
}

/// A token for `e164` of `tenant_id`, expiring at `expires_at`.
pub fn issue(
    key: &HashKey,
    tenant_id: &str,
    e164: &str,
    carrier: Option<&str>,
    expires_at: DateTime<Utc>,
) -> String {
    let claims = serde_json::to_value(Claims {
        p: e164.to_string(),
        c: carrier.map(str::to_string),
        x: expires_at.timestamp_millis(),
    })
    .expect("claims serialize");
    let blob = cipher(key)
        .seal(tenant_id, &claims)
        .expect("AES-GCM sealing does not fail");
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(blob))
}

/// What an open token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// E.164.
    pub e164: String,
    /// Carrier code.
    pub carrier: Option<String>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// Opens a token of `tenant_id` (expiry not checked here).
pub fn open(key: &HashKey, tenant_id: &str, token: &str) -> Result<Opened, TokenProblem> {
    let body = token.strip_prefix(PREFIX).ok_or(TokenProblem::Invalid)?;
    let blob = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| TokenProblem::Invalid)?;
    let v = cipher(key)
        .open(tenant_id, &blob)
        .map_err(|_| TokenProblem::Invalid)?;
    let c: Claims = serde_json::from_value(v).map_err(|_| TokenProblem::Invalid)?;
    Ok(Opened {
        e164: c.p,
        carrier: c.c,
        expires_at: DateTime::from_timestamp_millis(c.x).ok_or(TokenProblem::Invalid)?,
    })
}

/// The sandbox's carrier answer: opens the token, refuses it when expired or
/// used, marks it used, then answers the number or the verdict.
pub async fn answer(
    ctx: &AdapterContext,
    q: &Query,
    cq: &CarrierQuery,
) -> Result<CarrierAnswer, SupplierError> {
    let tenant = &q.subject.tenant_id;
    let opened = match open(&ctx.hash_key, tenant, cq.token.expose()) {
        Ok(o) => o,
        Err(p) => return Ok(CarrierAnswer::Token(p)),
    };
    if Utc::now() >= opened.expires_at {
        return Ok(CarrierAnswer::Token(TokenProblem::Expired));
    }
    let hash = ctx.hash_key.hash("carrier_token", cq.token.expose());
    let first = ctx
        .store
        .consume_carrier_token(&hash, opened.expires_at)
        .await
        .map_err(|e| SupplierError::Transport(format!("sandbox store: {e}")))?;
    if !first {
        return Ok(CarrierAnswer::Token(TokenProblem::Used));
    }
    Ok(if cq.verify {
        CarrierAnswer::Verdict(if opened.e164 == q.subject.e164 {
            CarrierVerdict::Pass
        } else {
            CarrierVerdict::Reject
        })
    } else {
        CarrierAnswer::Number {
            e164: opened.e164,
            carrier: opened.carrier,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_open_for_their_tenant_only() {
        let k = HashKey::new(vec![3u8; 32]);
        let exp = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
        let t = issue(&k, "ten_a", "+8613800138000", Some("cmcc"), exp);
        assert!(t.starts_with(PREFIX));
        assert!(!t.contains("13800138000"), "the number is not readable");
        let o = open(&k, "ten_a", &t).unwrap();
        assert_eq!(o.e164, "+8613800138000");
        assert_eq!(o.carrier.as_deref(), Some("cmcc"));
        assert_eq!(o.expires_at, exp);
        assert_eq!(open(&k, "ten_b", &t), Err(TokenProblem::Invalid));
        assert_eq!(
            open(&HashKey::new(vec![4u8; 32]), "ten_a", &t),
            Err(TokenProblem::Invalid)
        );
        assert_eq!(open(&k, "ten_a", "ctk_AAAA"), Err(TokenProblem::Invalid));
        assert_eq!(open(&k, "ten_a", "nope"), Err(TokenProblem::Invalid));
        let mut bad = t.clone();
        bad.pop();
        assert_eq!(open(&k, "ten_a", &bad), Err(TokenProblem::Invalid));
    }
}
