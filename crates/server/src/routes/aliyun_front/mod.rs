//! The Aliyun-compatible front: teams calling Dypnsapi (号码认证, 2017-05-25)
//! with Aliyun's official server SDK point its `endpoint` at phoneguard and
//! keep their code. `POST /` with the action in the query (`Action`) or the
//! `x-acs-action` header answers `GetMobile` and `VerifyMobile` through the
//! `carrier_auth` suppliers, for the tenant of the AccessKey pair
//! (`POST /v1/admin/tenants/{id}/access-keys`; a test pair reaches sandbox
//! suppliers only).
//!
//! Both signatures of the SDKs are verified ([`phoneguard_suppliers::aliyun_sign`]):
//! ACS3-HMAC-SHA256 (the default; every `x-acs-*` header and `host` must be
//! signed, the body must match `x-acs-content-sha256`) and the RPC HMAC-SHA1
//! of `signature_algorithm='v2'`. The date (`x-acs-date` / `Timestamp`) must
//! be within 15 minutes, and a nonce is accepted once per AccessKey within
//! that time: on every node when Redis is configured, else on this node
//! ([`FrontState`], which also caches opened AccessKey pairs for [`KEY_TTL`]).
//!
//! Answers have Aliyun's shapes: `{"Code": "OK", "Message": "OK", "RequestId",
//! "GetMobileResultDTO": {"Mobile"}}` / `{"GateVerifyResultDTO": {"VerifyId",
//! "VerifyResult"}}`; errors `{"Code", "Message", "RequestId", "HostId",
//! "Recommend"}` with Aliyun's codes (`InvalidAccessKeyId.NotFound` 404,
//! `SignatureDoesNotMatch` 400, `InvalidTimeStamp.Expired` 400,
//! `SignatureNonceUsed` 400, `InvalidAction.NotFound` 404,
//! `ServiceUnavailable` 503) and business codes with HTTP 200
//! (`isv.INVALID_PARAMETERS`, `isv.MOBILE_NUMBER_ILLEGAL`,
//! `isv.TOKEN_INVALID`, `isv.TOKEN_EXPIRED`, `isv.TOKEN_USED`). This route is
//! not in the OpenAPI document: its contract is Aliyun's.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, NaiveDateTime, Utc};
use phoneguard_core::limits::ApiCapability;
use phoneguard_core::secrets::constant_time_eq;
use phoneguard_core::suppliers::{CarrierAnswer, TokenProblem};
use phoneguard_core::tenants::Principal;
use phoneguard_suppliers::aliyun_sign::{
    self, Acs3Request, acs3_sign, decode_pairs, parse_acs3_authorization, rpc_sign, sha256_hex,
};
use serde_json::{Value, json};

use crate::routes::carrier_auth::exchange;
use crate::state::AppState;
use answer::{
    AliyunError, answer, business, err, request_id, service_unavailable, signature_mismatch,
};

/// The API version answered.
pub const VERSION: &str = "2017-05-25";
/// How far a request's date may be from ours.
const SKEW: Duration = Duration::from_secs(15 * 60);
/// How long an accepted nonce is remembered: the whole window a request's
/// date may fall in.
pub const NONCE_TTL: Duration = Duration::from_secs(2 * 15 * 60);

mod answer;
mod keys;

pub use keys::{FrontState, KEY_TTL};

/// `POST /`.
pub fn router() -> Router<AppState> {
    Router::new().route("/", post(front))
}

/// A request, signed and attributed.
struct Signed {
    who: Principal,
    action: String,
    version: Option<String>,
    params: Vec<(String, String)>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Checks a date of the request (`2026-12-07T03:00:00Z`) against ours.
fn fresh(date: Option<&str>, now: DateTime<Utc>) -> Result<(), AliyunError> {
    let t = date
        .and_then(|d| NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%SZ").ok())
        .map(|n| n.and_utc())
        .ok_or_else(|| {
            err(
                StatusCode::BAD_REQUEST,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            )
        })?;
    let skew = (now - t).abs().to_std().unwrap_or(Duration::MAX);
    if skew > SKEW {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}

async fn first_use(s: &AppState, key_id: &str, nonce: Option<&str>) -> Result<(), AliyunError> {
    let nonce = nonce
        .filter(|n| !n.is_empty() && n.len() <= 128)
        .ok_or_else(|| {
            err(
                StatusCode::BAD_REQUEST,
                "MissingSignatureNonce",
                "SignatureNonce is mandatory for this action.",
            )
        })?;
    let fresh = s
        .aliyun
        .nonces
        .first_use(&format!("{key_id}\u{1f}{nonce}"), NONCE_TTL)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "the nonce ledger did not answer (Aliyun front)");
            service_unavailable()
        })?;
    if !fresh {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    Ok(())
}

/// The AccessKey pair's tenant, mode and secret: from this node's cache
/// ([`keys`]), else read from the store and opened with the master key.
async fn key(s: &AppState, id: &str) -> Result<(Principal, Arc<str>), AliyunError> {
    let not_found = || {
        err(
            StatusCode::NOT_FOUND,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    };
    if id.is_empty() || id.len() > 64 {
        return Err(not_found());
    }
    if let Some(k) = s.aliyun.cached(id) {
        return Ok((k.who, k.secret));
    }
    let generation = s.aliyun.generation();
    let record = s
        .suppliers
        .store()
        .get_access_key(id)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "access key lookup failed");
            service_unavailable()
        })?
        .filter(|k| k.revoked_at.is_none())
        .ok_or_else(not_found)?;
    let Some(cipher) = s.suppliers.cipher() else {
        tracing::error!(access_key = %record.id, "access key secret cannot be opened: no master key");
        return Err(unreadable_secret(
            "The AccessKey secret cannot be read: this server has no master key configured.",
        ));
    };
    let secret: Arc<str> = cipher
        .open(&record.id, &record.secret)
        .ok()
        .and_then(|v| v.as_str().map(Arc::from))
        .ok_or_else(|| {
            tracing::error!(access_key = %record.id, "access key secret does not open (master key changed?)");
            unreadable_secret(
                "The AccessKey secret cannot be read: the server's master key is not the one \
                 it was sealed with. Restore that master key or issue a new AccessKey pair.",
            )
        })?;
    let who = Principal {
        tenant_id: record.tenant_id,
        key_id: record.id,
        mode: record.mode,
    };
    s.aliyun.keep(
        generation,
        keys::OpenKey {
            who: who.clone(),
            secret: secret.clone(),
        },
    );
    Ok((who, secret))
}

/// 500 `InternalError` naming why a stored secret cannot be used.
fn unreadable_secret(message: &'static str) -> AliyunError {
    err(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
}

/// Verifies an ACS3-HMAC-SHA256 request.
async fn verify_acs3(
    s: &AppState,
    auth: &str,
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Signed, AliyunError> {
    let a = parse_acs3_authorization(auth).ok_or_else(|| {
        err(
            StatusCode::BAD_REQUEST,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    })?;
    let (who, secret) = key(s, &a.access_key_id).await?;
    // Everything that steers the request must be covered by the signature.
    for h in headers.keys() {
        let n = h.as_str();
        if (n.starts_with("x-acs-") || n == "host") && !a.signed_headers.iter().any(|x| x == n) {
            return Err(signature_mismatch());
        }
    }
    let mut signed = Vec::with_capacity(a.signed_headers.len());
    for name in &a.signed_headers {
        let values: Vec<&str> = headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(signature_mismatch());
        }
        for v in values {
            signed.push((name.clone(), v.to_string()));
        }
    }
    let payload = sha256_hex(body);
    if header(headers, "x-acs-content-sha256").is_some_and(|h| !h.eq_ignore_ascii_case(&payload)) {
        return Err(signature_mismatch());
    }
    let query = decode_pairs(uri.query().unwrap_or(""));
    let (expected, _) = acs3_sign(
        &secret,
        &Acs3Request {
            method: "POST",
            path: uri.path(),
            query: &query,
            headers: &signed,
            payload_sha256: &payload,
        },
    );
    if !constant_time_eq(
        expected.as_bytes(),
        a.signature.to_ascii_lowercase().as_bytes(),
    ) {
        return Err(signature_mismatch());
    }
    fresh(header(headers, "x-acs-date"), now)?;
    first_use(s, &who.key_id, header(headers, "x-acs-signature-nonce")).await?;
    let action = header(headers, "x-acs-action")
        .or_else(|| param(&query, "Action"))
        .unwrap_or("")
        .to_string();
    let version = header(headers, "x-acs-version")
        .or_else(|| param(&query, "Version"))
        .map(str::to_string);
    let mut params = query;
    if is_form(headers) {
        params.extend(decode_pairs(&String::from_utf8_lossy(body)));
    }
    Ok(Signed {
        who,
        action,
        version,
        params,
    })
}

fn is_form(headers: &HeaderMap) -> bool {
    header(headers, "content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

/// Verifies an RPC HMAC-SHA1 request.
async fn verify_rpc(
    s: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Signed, AliyunError> {
    let mut params = decode_pairs(uri.query().unwrap_or(""));
    if is_form(headers) {
        params.extend(decode_pairs(&String::from_utf8_lossy(body)));
    }
    let Some(i) = params.iter().position(|(k, _)| k == "Signature") else {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "MissingSignature",
            "Signature is mandatory for this action.",
        ));
    };
    let signature = params.remove(i).1;
    if param(&params, "SignatureMethod") != Some("HMAC-SHA1") {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "InvalidSignatureMethod",
            "Specified signature method is not supported; use HMAC-SHA1.",
        ));
    }
    let key_id = param(&params, "AccessKeyId").unwrap_or("").to_string();
    let (who, secret) = key(s, &key_id).await?;
    let expected = rpc_sign("POST", &params, &secret);
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(signature_mismatch());
    }
    fresh(param(&params, "Timestamp"), now)?;
    first_use(s, &who.key_id, param(&params, "SignatureNonce")).await?;
    Ok(Signed {
        who,
        action: param(&params, "Action").unwrap_or("").to_string(),
        version: param(&params, "Version").map(str::to_string),
        params,
    })
}

async fn front(State(s): State<AppState>, headers: HeaderMap, uri: Uri, body: Bytes) -> Response {
    let rid = request_id();
    match serve(&s, &headers, &uri, &body).await {
        Ok(v) => {
            let mut v = v;
            v["RequestId"] = json!(rid);
            answer(StatusCode::OK, &rid, v)
        }
        Err(e) => e.into_response_with(&rid),
    }
}

async fn serve(
    s: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
) -> Result<Value, AliyunError> {
    let now = Utc::now();
    let req = match header(headers, "authorization") {
        Some(a) if a.starts_with(aliyun_sign::ACS3) => {
            verify_acs3(s, a, headers, uri, body, now).await?
        }
        Some(_) => {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            ));
        }
        None => verify_rpc(s, headers, uri, body, now).await?,
    };
    if req.version.as_deref().is_some_and(|v| v != VERSION) {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "InvalidVersion",
            "Specified parameter Version is not valid.",
        ));
    }
    match req.action.as_str() {
        "GetMobile" => get_mobile(s, &req).await,
        "VerifyMobile" => verify_mobile(s, &req).await,
        _ => Err(err(
            StatusCode::NOT_FOUND,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
    }
}

fn token_code(p: TokenProblem) -> AliyunError {
    match p {
        TokenProblem::Invalid => business("isv.TOKEN_INVALID", "The token is not valid."),
        TokenProblem::Expired => business("isv.TOKEN_EXPIRED", "The token has expired."),
        TokenProblem::Used => business("isv.TOKEN_USED", "The token was used before."),
    }
}

fn token_param(
    req: &Signed,
    name: &str,
) -> Result<phoneguard_core::suppliers::CarrierToken, AliyunError> {
    let raw = param(&req.params, name)
        .ok_or_else(|| business("isv.INVALID_PARAMETERS", format!("{name} is mandatory.")))?;
    phoneguard_core::suppliers::CarrierToken::parse(raw)
        .map_err(|m| business("isv.INVALID_PARAMETERS", format!("{name}: {m}")))
}

async fn admit(s: &AppState, who: &Principal) -> Result<(), AliyunError> {
    crate::limits::admit(s, who, ApiCapability::CarrierAuth, 1)
        .await
        .map_err(|_| {
            err(
                StatusCode::BAD_REQUEST,
                "Throttling.User",
                "Request was denied due to user flow control.",
            )
        })
}

fn unavailable(e: phoneguard_suppliers::RouterError) -> AliyunError {
    tracing::warn!(error = %e, "no carrier_auth supplier answered (Aliyun front)");
    service_unavailable()
}

async fn get_mobile(s: &AppState, req: &Signed) -> Result<Value, AliyunError> {
    let token = token_param(req, "AccessToken")?;
    admit(s, &req.who).await?;
    match exchange(s, &req.who, token, None)
        .await
        .map_err(unavailable)?
    {
        (CarrierAnswer::Number { e164, .. }, _) => {
            let mobile = e164.strip_prefix("+86").unwrap_or(&e164).to_string();
            Ok(json!({"Code": "OK", "Message": "OK", "GetMobileResultDTO": {"Mobile": mobile}}))
        }
        (CarrierAnswer::Token(p), _) => Err(token_code(p)),
        (CarrierAnswer::Verdict(_), _) => Err(service_unavailable()),
    }
}

async fn verify_mobile(s: &AppState, req: &Signed) -> Result<Value, AliyunError> {
    let token = token_param(req, "AccessCode")?;
    let phone = param(&req.params, "PhoneNumber")
        .ok_or_else(|| business("isv.INVALID_PARAMETERS", "PhoneNumber is mandatory."))?;
    let info = phoneguard_numbering::lookup(s.numbers, phone).map_err(|_| {
        business(
            "isv.MOBILE_NUMBER_ILLEGAL",
            "The phone number is not valid.",
        )
    })?;
    admit(s, &req.who).await?;
    match exchange(s, &req.who, token, Some(&info))
        .await
        .map_err(unavailable)?
    {
        (CarrierAnswer::Verdict(v), _) => Ok(json!({"Code": "OK", "Message": "OK",
            "GateVerifyResultDTO": {"VerifyId": request_id(), "VerifyResult": v.aliyun()}})),
        (CarrierAnswer::Token(p), _) => Err(token_code(p)),
        (CarrierAnswer::Number { .. }, _) => Err(service_unavailable()),
    }
}
