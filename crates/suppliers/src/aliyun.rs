//! `aliyun_market_status`: the line-status seed's API (Aliyun API market, APPCODE).
//!
//! `POST {base_url}/api-mall/api/mobile_status/check`, header
//! `Authorization: APPCODE <appcode>`, form `mobile=13800138000` →
//! `{"msg":"成功","success":true,"code":200,"data":{"orderNo":"…","result":"1",
//! "province":"北京","city":"北京","channel":"移动","resultMsg":"正常"}}`.
//! `result` 0/1/2/3/4/999 maps to our status codes; a non-2xx HTTP status
//! (the API gateway's own errors, e.g. 403 for a bad APPCODE), `success: false`
//! or `code` ≠ 200 are supplier failures.
//!
//! Options: `base_url` (default the vendor's host), `path`, `timeout_ms`.
//! Credentials: `{"appcode": "…"}`.

use std::time::Duration;

use async_trait::async_trait;
use phoneguard_core::suppliers::{
    Answer, Capability, LineStatus, Query, StatusAnswer, Supplier, SupplierError,
};
use serde_json::Value;

use crate::{AdapterContext, BuildError};

/// The vendor's host in the seed document.
pub const DEFAULT_BASE_URL: &str = "https://kzmstatev1.market.alicloudapi.com";
/// The API's path.
pub const PATH: &str = "/api-mall/api/mobile_status/check";

/// The adapter.
pub struct AliyunMarketStatus {
    http: reqwest::Client,
    url: String,
    appcode: String,
    timeout: Duration,
}

/// The carrier code of the seed's `channel` (移动/联通/电信/广电).
pub fn carrier_of_channel(channel: &str) -> Option<&'static str> {
    match channel.trim() {
        "移动" | "中国移动" => Some("cmcc"),
        "联通" | "中国联通" => Some("cucc"),
        "电信" | "中国电信" => Some("ctcc"),
        "广电" | "中国广电" => Some("cbn"),
        _ => None,
    }
}

fn str_opt<'a>(v: &'a Value, key: &str) -> Result<Option<&'a str>, BuildError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(BuildError::new(
            format!("options.{key}"),
            "must be a string",
        )),
    }
}

impl AliyunMarketStatus {
    /// Builds the adapter; the APPCODE is required.
    pub fn new(
        options: &Value,
        credentials: &Value,
        ctx: &AdapterContext,
    ) -> Result<Self, BuildError> {
        let base = str_opt(options, "base_url")?.unwrap_or(DEFAULT_BASE_URL);
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(BuildError::new(
                "options.base_url",
                "must start with https:// or http://",
            ));
        }
        let path = str_opt(options, "path")?.unwrap_or(PATH);
        let timeout_ms = options
            .get("timeout_ms")
            .and_then(Value::as_u64)
            .unwrap_or(5000);
        let appcode = appcode(credentials)
            .map_err(|m| BuildError::new("credentials.appcode", m.to_string()))?;
        Ok(AliyunMarketStatus {
            http: ctx.http.clone(),
            url: format!("{}{}", base.trim_end_matches('/'), path),
            appcode: appcode.to_string(),
            timeout: Duration::from_millis(timeout_ms.clamp(100, 60_000)),
        })
    }
}

/// The APPCODE, or what is wrong with the value given (never the value itself:
/// it is a secret).
fn appcode(credentials: &Value) -> Result<&str, String> {
    let s = match credentials.get("appcode") {
        None | Some(Value::Null) => return Err("required: the APPCODE of the API market".into()),
        Some(Value::String(s)) => s,
        Some(_) => return Err("must be a string: the APPCODE of the API market".into()),
    };
    if s.is_empty() {
        return Err("is empty: give the APPCODE of the API market".into());
    }
    match s.chars().position(|c| !c.is_ascii_graphic()) {
        None => Ok(s),
        Some(i) => {
            let what = match s.chars().nth(i) {
                Some(' ') => "a space",
                Some(c) if c.is_control() => "a control character",
                _ => "a character that is not printable ASCII",
            };
            Err(format!(
                "has {what} at character {}: an APPCODE is printable ASCII with no \
                 spaces (copy it from the API market's console)",
                i + 1
            ))
        }
    }
}

/// Maps the seed's response body to a status answer.
pub fn parse_response(body: &Value) -> Result<StatusAnswer, SupplierError> {
    let code = body.get("code").and_then(Value::as_i64);
    let success = body.get("success").and_then(Value::as_bool);
    if success != Some(true) || code != Some(200) {
        return Err(SupplierError::Business {
            code: body.get("code").map(Value::to_string).unwrap_or_default(),
            message: body
                .get("msg")
                .and_then(Value::as_str)
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
        });
    }
    let data = body
        .get("data")
        .ok_or_else(|| SupplierError::BadResponse("no data".into()))?;
    let result = match data.get("result") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(SupplierError::BadResponse("no data.result".into())),
    };
    let status = LineStatus::from_legacy(&result)
        .ok_or_else(|| SupplierError::BadResponse(format!("unknown result {result:?}")))?;
    let carrier = data
        .get("channel")
        .and_then(Value::as_str)
        .and_then(carrier_of_channel)
        .map(str::to_string);
    Ok(StatusAnswer {
        status,
        carrier,
        ported: None,
    })
}

/// Maps a reqwest error to a supplier failure.
pub fn transport(e: reqwest::Error, timeout: Duration) -> SupplierError {
    if e.is_timeout() {
        SupplierError::Timeout(timeout)
    } else {
        SupplierError::Transport(e.without_url().to_string())
    }
}

#[async_trait]
impl Supplier for AliyunMarketStatus {
    async fn call(&self, q: &Query) -> Result<Answer, SupplierError> {
        if q.capability != Capability::Status {
            return Err(SupplierError::Unsupported(
                "this API answers line status only".into(),
            ));
        }
        let resp = self
            .http
            .post(&self.url)
            .header("Authorization", format!("APPCODE {}", self.appcode))
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .body(format!("mobile={}", q.subject.national))
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| transport(e, self.timeout))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(SupplierError::HttpStatus(status.as_u16()));
        }
        let body: Value = resp
            .json()
            .await
            .map_err(|e| SupplierError::BadResponse(e.without_url().to_string()))?;
        parse_response(&body).map(Answer::Status)
    }
}
