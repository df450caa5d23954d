//! `aliyun_dypns`: Aliyun 号码认证 (Dypnsapi 2017-05-25), RPC style, signed
//! with ACS3-HMAC-SHA256 ([`crate::aliyun_sign`]).
//!
//! - `GetMobile` (`AccessToken`) → `GetMobileResultDTO.Mobile`: one-tap login.
//! - `VerifyMobile` (`AccessCode`, `PhoneNumber`) →
//!   `GateVerifyResultDTO.VerifyResult` `PASS` / `REJECT` / `UNKNOWN`.
//!
//! `POST {base_url}/?<params>` with the `x-acs-*` headers; the answer is
//! `{"Code": "OK", "Message": "OK", "RequestId": "…", "<DTO>": {…}}`; another
//! `Code` is a supplier failure, except token codes (a code naming a token,
//! e.g. `isv.TOKEN_INVALID`; with `EXPIRE` in it, expired), which are the
//! caller's problem and end the query without failover.
//!
//! Options: `base_url` (default `https://dypnsapi.aliyuncs.com`), `timeout_ms`.
//! Credentials: `{"access_key_id": "…", "access_key_secret": "…"}`.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use phoneguard_core::suppliers::{
    Answer, Capability, CarrierAnswer, CarrierVerdict, Query, Supplier, SupplierError, TokenProblem,
};
use serde_json::Value;

use crate::aliyun::transport;
use crate::aliyun_sign::{Acs3Request, acs3_authorization, sha256_hex};
use crate::{AdapterContext, BuildError};

/// Aliyun's endpoint.
pub const DEFAULT_BASE_URL: &str = "https://dypnsapi.aliyuncs.com";
/// The API version.
pub const VERSION: &str = "2017-05-25";

/// The adapter.
pub struct AliyunDypns {
    http: reqwest::Client,
    url: reqwest::Url,
    host: String,
    access_key_id: String,
    secret: String,
    timeout: Duration,
}

fn credential<'a>(c: &'a Value, key: &str) -> Result<&'a str, BuildError> {
    match c.get(key) {
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic()) => Ok(s),
        Some(Value::String(_)) => Err(BuildError::new(
            format!("credentials.{key}"),
            "must be printable ASCII without spaces",
        )),
        _ => Err(BuildError::new(
            format!("credentials.{key}"),
            "required: a string from the Aliyun console",
        )),
    }
}

impl AliyunDypns {
    /// Builds the adapter; both halves of the AccessKey pair are required.
    pub fn new(
        options: &Value,
        credentials: &Value,
        ctx: &AdapterContext,
    ) -> Result<Self, BuildError> {
        let base = match options.get("base_url") {
            None | Some(Value::Null) => DEFAULT_BASE_URL,
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(BuildError::new("options.base_url", "must be a string")),
        };
        let url = reqwest::Url::parse(base)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                BuildError::new("options.base_url", "must be an http:// or https:// URL")
            })?;
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let timeout_ms = options
            .get("timeout_ms")
            .and_then(Value::as_u64)
            .unwrap_or(5000);
        Ok(AliyunDypns {
            http: ctx.http.clone(),
            url,
            host,
            access_key_id: credential(credentials, "access_key_id")?.to_string(),
            secret: credential(credentials, "access_key_secret")?.to_string(),
            timeout: Duration::from_millis(timeout_ms.clamp(100, 60_000)),
        })
    }

    async fn rpc(
        &self,
        action: &str,
        params: Vec<(String, String)>,
    ) -> Result<Value, SupplierError> {
        let date = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = uuid::Uuid::new_v4().to_string();
        let payload = sha256_hex(b"");
        let headers: Vec<(String, String)> = [
            ("accept", "application/json"),
            ("host", self.host.as_str()),
            ("x-acs-action", action),
            ("x-acs-content-sha256", payload.as_str()),
            ("x-acs-date", date.as_str()),
            ("x-acs-signature-nonce", nonce.as_str()),
            ("x-acs-version", VERSION),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let auth = acs3_authorization(
            &self.access_key_id,
            &self.secret,
            &Acs3Request {
                method: "POST",
                path: "/",
                query: &params,
                headers: &headers,
                payload_sha256: &payload,
            },
        );
        let mut url = self.url.clone();
        url.set_path("/");
        url.set_query(Some(&crate::aliyun_sign::canonical_query(&params)));
        let mut req = self
            .http
            .post(url)
            .header("Authorization", auth)
            .timeout(self.timeout);
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req.send().await.map_err(|e| transport(e, self.timeout))?;
        let status = resp.status();
        let body: Option<Value> = resp.json().await.ok();
        match body {
            Some(b) if b.get("Code").is_some() => Ok(b),
            _ if !status.is_success() => Err(SupplierError::HttpStatus(status.as_u16())),
            _ => Err(SupplierError::BadResponse("no Code in the answer".into())),
        }
    }
}

/// Aliyun's answer as ours: the DTO member, a token problem, or a failure.
pub fn parse_answer(body: &Value, verify: bool) -> Result<CarrierAnswer, SupplierError> {
    let code = body.get("Code").and_then(Value::as_str).unwrap_or("");
    if code != "OK" {
        let upper = code.to_ascii_uppercase();
        if upper.contains("TOKEN") || upper.contains("ACCESS_CODE") {
            return Ok(CarrierAnswer::Token(if upper.contains("EXPIRE") {
                TokenProblem::Expired
            } else if upper.contains("USED") {
                TokenProblem::Used
            } else {
                TokenProblem::Invalid
            }));
        }
        return Err(SupplierError::Business {
            code: code.chars().take(64).collect(),
            message: body
                .get("Message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
        });
    }
    if verify {
        let r = body
            .pointer("/GateVerifyResultDTO/VerifyResult")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                SupplierError::BadResponse("no GateVerifyResultDTO.VerifyResult".into())
            })?;
        CarrierVerdict::from_aliyun(r)
            .map(CarrierAnswer::Verdict)
            .ok_or_else(|| SupplierError::BadResponse(format!("unknown VerifyResult {r:?}")))
    } else {
        let m = body
            .pointer("/GetMobileResultDTO/Mobile")
            .and_then(Value::as_str)
            .ok_or_else(|| SupplierError::BadResponse("no GetMobileResultDTO.Mobile".into()))?;
        let info = phoneguard_numbering::lookup(phoneguard_numbering::NumberTable::embedded(), m)
            .map_err(|_| SupplierError::BadResponse("Mobile is not a number".into()))?;
        Ok(CarrierAnswer::Number {
            e164: info.number.clone(),
            carrier: info
                .carrier
                .and_then(|c| c.code)
                .map(|c| c.code().to_string()),
        })
    }
}

#[async_trait]
impl Supplier for AliyunDypns {
    async fn call(&self, q: &Query) -> Result<Answer, SupplierError> {
        let cq = match (&q.capability, &q.carrier) {
            (Capability::CarrierAuth, Some(cq)) => cq,
            _ => {
                return Err(SupplierError::Unsupported(
                    "Dypnsapi answers carrier_auth only".into(),
                ));
            }
        };
        let token = cq.token.expose().to_string();
        let body = if cq.verify {
            self.rpc(
                "VerifyMobile",
                vec![
                    ("AccessCode".into(), token),
                    ("PhoneNumber".into(), q.subject.national.clone()),
                ],
            )
            .await?
        } else {
            self.rpc("GetMobile", vec![("AccessToken".into(), token)])
                .await?
        };
        parse_answer(&body, cq.verify).map(Answer::Carrier)
    }
}
