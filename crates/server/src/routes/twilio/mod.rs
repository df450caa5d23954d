//! Twilio Verify v2 and Lookup v2 on the wire, beside `/v1`, so the official
//! SDKs work with only their base URL changed: HTTP Basic auth (account sid
//! or key sid, and an API key), form-encoded PascalCase requests, snake_case
//! JSON answers, and Twilio's error JSON `{code, message, more_info, status}`
//! on every `/v2` error, framework rejections included ([`wire_error`]).
//!
//! - [`verify`]: `/v2/Services…` (services, verifications, checks), on the
//!   `/v1` verification service: same records, limits, guards and failover.
//! - [`lookup`]: `/v2/PhoneNumbers/{PhoneNumber}` from local numbering data.

pub mod lookup;
pub mod services;
pub mod verify;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use phoneguard_core::tenants::Principal;
use phoneguard_core::twilio::is_sid;
use phoneguard_core::verify::VerifyError;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::state::AppState;

/// Security scheme of `/v2`: HTTP Basic, account sid (or key sid) and API key.
pub const TWILIO_BASIC: &str = "twilio_basic";

/// `/v2/Services…` and `/v2/PhoneNumbers/…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(services::router())
        .merge(verify::router())
        .merge(lookup::router())
}

/// Adds Twilio's error JSON as the `default` response of every operation of
/// a `/v2` path (the document's other paths default to problem+json).
pub fn document_errors(item: &mut utoipa::openapi::PathItem) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = ResponseBuilder::new()
        .description("Twilio's error JSON: `{code, message, more_info, status}`.")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("TwilioErrorOut")))
                .build(),
        )
        .build();
    let ops = [&mut item.get, &mut item.post, &mut item.delete];
    for op in ops.into_iter().flatten() {
        op.responses
            .responses
            .entry("default".to_string())
            .or_insert_with(|| RefOr::T(error.clone()));
    }
}

/// Twilio's error document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": 20404, "message": "The requested resource was not found",
    "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}))]
pub struct TwilioErrorOut {
    /// Twilio error code: 20003, 20404, 60200, 60202, 60203, 60205, 60410, 60605, 20429, …
    code: u32,
    /// For a person; names the parameter at fault.
    message: String,
    /// `https://www.twilio.com/docs/errors/{code}`.
    more_info: String,
    /// The HTTP status.
    status: u16,
}

/// An error answer of `/v2`.
#[derive(Debug)]
pub struct TwilioError {
    status: StatusCode,
    code: u32,
    message: String,
    retry_after: Option<u64>,
}

impl TwilioError {
    /// An error with status, Twilio code and message.
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        TwilioError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 401 20003.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
    }

    /// 404 20404.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        )
    }

    /// 400 60200 naming the parameter.
    pub fn invalid(param: &str, why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            60200,
            format!("Invalid parameter `{param}`: {why}"),
        )
    }
}

impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let body = TwilioErrorOut {
            code: self.code,
            more_info: format!("https://www.twilio.com/docs/errors/{}", self.code),
            message: self.message,
            status: self.status.as_u16(),
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

/// The Twilio code of a status the `/v1` problem carried.
fn code_for_status(status: StatusCode) -> u32 {
    match status.as_u16() {
        400 | 413 | 415 | 422 => 60200,
        401 => 20003,
        403 => 20403,
        404 => 20404,
        405 => 20004,
        429 => 20429,
        503 => 20503,
        _ => 20500,
    }
}

impl From<ApiError> for TwilioError {
    fn from(e: ApiError) -> Self {
        let mut t = TwilioError::new(e.status, code_for_status(e.status), e.detail);
        t.retry_after = e.retry_after;
        t
    }
}

impl From<phoneguard_core::StoreError> for TwilioError {
    fn from(e: phoneguard_core::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

/// The Twilio name of a `/v1` field.
fn param_name(field: &str) -> &str {
    match field {
        "phone" => "To",
        "channel" => "Channel",
        "code" => "Code",
        "locale" => "Locale",
        "code_length" => "CodeLength",
        "app_hash" => "AppHash",
        "ip" => "DeviceIp",
        "device_id" => "To",
        other => other,
    }
}

impl From<VerifyError> for TwilioError {
    fn from(e: VerifyError) -> Self {
        let message = e.to_string();
        match e {
            VerifyError::Invalid { field, message } => {
                TwilioError::invalid(param_name(field), message)
            }
            VerifyError::InvalidNumber(p) => TwilioError::invalid("To", p),
            VerifyError::NotFound | VerifyError::Expired | VerifyError::Closed(_) => {
                TwilioError::not_found()
            }
            VerifyError::MaxAttempts => TwilioError::new(
                StatusCode::TOO_MANY_REQUESTS,
                60202,
                "Max check attempts reached",
            ),
            VerifyError::RateLimited {
                limit, retry_after, ..
            } => {
                let (code, message) = match limit {
                    "phone" => (60203, "Max send attempts reached".to_string()),
                    "country" | "prefix" => (
                        60410,
                        format!("Verification delivery attempt blocked: {message}"),
                    ),
                    _ => (20429, format!("Too Many Requests: {message}")),
                };
                let mut t = TwilioError::new(StatusCode::TOO_MANY_REQUESTS, code, message);
                t.retry_after = Some(retry_after);
                t
            }
            VerifyError::CountryBlocked(_) => {
                TwilioError::new(StatusCode::FORBIDDEN, 60605, message)
            }
            other => ApiError::from(other).into(),
        }
    }
}

/// A `/v2` response, with any error the framework or the edge wrote (404 and
/// 405 of the router, 413 of the body limit, extractor rejections, timeouts,
/// panics) in Twilio's form. The `/v2` handlers' own errors (Twilio JSON
/// already) pass unchanged. Used by [`crate::edge`] instead of
/// [`crate::middleware::problemize`] on `/v2` paths.
pub async fn wire_error(resp: Response) -> Response {
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    if resp.status().as_u16() < 400 || is_json {
        return resp;
    }
    // Any text first becomes a problem document (status, detail), then Twilio's.
    let (parts, body) = crate::middleware::problemize(resp).await.into_parts();
    let detail = to_bytes(body, 64 * 1024)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "the request could not be processed".into());
    let mut out =
        TwilioError::new(parts.status, code_for_status(parts.status), detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// A `/v2` caller: HTTP Basic with the tenant's account sid (`AC…`) or the
/// key's sid (`SK…`) as user and an active API key as password.
#[derive(Debug, Clone)]
pub struct TwilioCaller(pub Principal);

impl FromRequestParts<AppState> for TwilioCaller {
    type Rejection = TwilioError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, TwilioError> {
        let text = basic(parts).ok_or_else(TwilioError::unauthenticated)?;
        let (user, key) = text
            .split_once(':')
            .ok_or_else(TwilioError::unauthenticated)?;
        let principal = state
            .tenants
            .authenticate(key)
            .await?
            .ok_or_else(TwilioError::unauthenticated)?;
        let matches = if is_sid(user, "AC") {
            names(user, "AC", &principal.tenant_id, "ten_")
        } else {
            names(user, "SK", &principal.key_id, "key_")
        };
        if !matches {
            return Err(TwilioError::unauthenticated());
        }
        crate::auth::note_tenant(parts, &principal.tenant_id);
        Ok(TwilioCaller(principal))
    }
}

/// Whether `sid` is `sid_prefix` + the 32 hex digits of `id` (`id_prefix` +
/// hex): [`phoneguard_core::twilio::id_of`] without building the id.
fn names(sid: &str, sid_prefix: &str, id: &str, id_prefix: &str) -> bool {
    is_sid(sid, sid_prefix) && id.strip_prefix(id_prefix) == sid.strip_prefix(sid_prefix)
}

/// `user:password` of `Authorization: Basic …`, decoded.
fn basic(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || b64.len() > 512 {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    String::from_utf8(raw).ok()
}

/// Form-encoded parameters (`To=…&Channel=…`); unknown ones are ignored, as
/// Twilio does.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a form body or query string.
    pub fn parse(raw: &[u8]) -> Self {
        Params(form_urlencoded::parse(raw).into_owned().collect())
    }

    /// The last value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a parameter (`Fields` may repeat).
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter, or 60200 naming it.
    pub fn required(&self, name: &str) -> Result<&str, TwilioError> {
        match self.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(TwilioError::invalid(name, "required")),
        }
    }

    /// An optional whole number, or 60200 naming it.
    pub fn number(&self, name: &str) -> Result<Option<u32>, TwilioError> {
        self.get(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| TwilioError::invalid(name, "must be a whole number"))
            })
            .transpose()
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = Response;

    async fn from_request(req: Request<Body>, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Params::parse(&bytes))
    }
}

/// The query string's parameters.
pub fn query(parts: &axum::http::Uri) -> Params {
    Params::parse(parts.query().unwrap_or("").as_bytes())
}

/// `2026-01-02T03:04:05Z`: the one form the Python SDK parses. Written
/// digit by digit (chrono's `format` parses its pattern on every call, a
/// few µs a date, five dates a Twilio pair); years outside 0–9999 as chrono
/// writes them.
pub fn twilio_date(t: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut n: u32| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, t.month());
    put(8, 2, t.day());
    put(11, 2, t.hour());
    put(14, 2, t.minute());
    put(17, 2, t.second());
    out.iter().map(|&b| char::from(b)).collect()
}

/// A `/v2` JSON answer: as `axum::Json` (`application/json`), serialized
/// into a buffer sized for a verification (about 700 bytes) instead of one
/// grown from 128 bytes.
pub struct TwilioJson<T>(pub StatusCode, pub T);

impl<T: Serialize> IntoResponse for TwilioJson<T> {
    fn into_response(self) -> Response {
        let mut buf = Vec::with_capacity(1024);
        match serde_json::to_writer(&mut buf, &self.1) {
            Ok(()) => (
                self.0,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                buf,
            )
                .into_response(),
            Err(e) => TwilioError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                20500,
                format!("the answer could not be written: {e}"),
            )
            .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_have_no_fraction_and_params_take_the_last_value() {
        let t = DateTime::from_timestamp(1_767_323_045, 123_000_000).unwrap();
        assert_eq!(twilio_date(&t), "2026-01-02T03:04:05Z");
        for secs in [
            0,
            951_782_399,
            951_868_800,
            4_102_444_799,
            253_402_300_799,
            -1,
        ] {
            let t = DateTime::from_timestamp(secs, 999_999_999).unwrap();
            assert_eq!(
                twilio_date(&t),
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "{secs}"
            );
        }
        let far = DateTime::from_timestamp(253_402_300_800, 0).unwrap();
        assert_eq!(twilio_date(&far), "+10000-01-01T00:00:00Z");
        let p = Params::parse(b"To=%2B8613800138000&Channel=sms&Channel=call&Fields=a&Fields=b");
        assert_eq!(p.get("To"), Some("+8613800138000"));
        assert_eq!(p.get("Channel"), Some("call"));
        assert_eq!(p.all("Fields").collect::<Vec<_>>(), ["a", "b"]);
        assert!(p.required("Code").is_err());
        assert_eq!(code_for_status(StatusCode::METHOD_NOT_ALLOWED), 20004);
        let hex = "0196f6d1c3a47b6e8f5c2d1a9b3e7f40";
        let id = format!("ten_{hex}");
        assert!(names(&format!("AC{hex}"), "AC", &id, "ten_"));
        for wrong in [
            format!("AC{}", hex.to_uppercase()),
            format!("SK{hex}"),
            format!("AC{hex}0"),
            format!("AC{}", &hex[1..]),
            "AC".to_string(),
        ] {
            assert!(!names(&wrong, "AC", &id, "ten_"), "{wrong}");
        }
        assert!(!names(
            &format!("AC{hex}"),
            "AC",
            &format!("key_{hex}"),
            "ten_"
        ));
    }
}
