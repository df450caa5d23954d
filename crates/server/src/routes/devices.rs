//! Device identity: `POST /v1/devices` (publishable key, CORS for the key's
//! allowed origins), the browser SDK `GET /sdk/v1/device.js` and its demo page.

use std::sync::LazyLock;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use phoneguard_core::devices::{
    DeviceError, DeviceSignals, MAX_DOC_BYTES, PublishableKey, SignalDoc,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{bearer, note_tenant};
use crate::error::{ApiError, ProblemCode};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The browser SDK, served as written (no build step).
const DEVICE_JS: &str = include_str!("../sdk/device.js");

/// `/v1/devices`, `/sdk/v1/…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_device))
        .route("/v1/devices", axum::routing::options(preflight))
        .routes(routes!(device_js))
        .routes(routes!(demo))
}

impl From<DeviceError> for ApiError {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::Invalid(field, m) => ApiError::invalid_field(field, m),
            DeviceError::NotFound(m) => ApiError::not_found(format!("{m} not found")),
            DeviceError::Store(s) => s.into(),
        }
    }
}

/// The `Origin` of a request, if it sent one that is text.
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
}

/// A caller holding a publishable key, from an allowed origin (or none: apps
/// and servers send no `Origin`).
pub struct Publishable(pub PublishableKey);

impl FromRequestParts<AppState> for Publishable {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        if token.starts_with("pk_") || token.starts_with("adm_") {
            return Err(ApiError::forbidden(
                "POST /v1/devices takes a publishable key (pub_test_… / pub_live_…); secret keys stay on your server",
            ));
        }
        let Some(key) = state.devices.authenticate(token).await? else {
            return Err(ApiError::unauthorized("invalid or revoked publishable key"));
        };
        note_tenant(parts, &key.tenant_id);
        if let Some(o) = origin(&parts.headers)
            && !key
                .allowed_origins
                .iter()
                .any(|a| a.eq_ignore_ascii_case(o))
        {
            return Err(ApiError::forbidden(format!(
                "origin {o} is not among this publishable key's allowed_origins"
            )));
        }
        Ok(Publishable(key))
    }
}

/// Adds the CORS headers of `/v1/devices` to an answer: only for an origin
/// some publishable key allows (a preflight carries no key, so it is answered
/// for the union of allowed origins); any other origin gets none and the
/// browser refuses. The request itself is refused by [`Publishable`] unless
/// its own key allows the origin.
async fn with_cors(
    s: &AppState,
    headers: &HeaderMap,
    preflight: bool,
    mut resp: Response,
) -> Response {
    let allowed = match origin(headers) {
        Some(o) => match s.devices.origin_allowed_anywhere(o).await {
            Ok(true) => HeaderValue::from_str(o).ok(),
            Ok(false) => None,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    let h = resp.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(o) = allowed {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        if preflight {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
    }
    resp
}

/// The CORS preflight of `POST /v1/devices`.
async fn preflight(State(s): State<AppState>, headers: HeaderMap) -> Response {
    with_cors(&s, &headers, true, StatusCode::NO_CONTENT.into_response()).await
}

/// Answer of `POST /v1/devices`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"device_id": "dev_0193…", "device_token": "dt1.…", "expires_at": "2026-11-23T10:30:00Z",
    "signals": {"headless": false, "webdriver": false, "emulator": false, "rooted": false, "tampering": false},
    "matched_by": "stored"}))]
pub struct DeviceOut {
    /// `dev_…`: keep it (the SDK does, in localStorage and a first-party cookie) and send it back.
    device_id: String,
    /// Signed token binding tenant, device id, fingerprint and expiry: pass it
    /// as `device_token` with risk events.
    device_token: String,
    /// When the token expires (30 minutes).
    #[serde(serialize_with = "crate::time::ms")]
    expires_at: DateTime<Utc>,
    /// What the signals say of the client.
    signals: DeviceSignals,
    /// `stored` (the id the SDK sent), `matched` (fingerprint match-back) or `new`.
    matched_by: String,
}

/// The 422 of a document serde refused, naming the field where it can.
fn doc_error(e: &serde_json::Error) -> ApiError {
    if e.is_syntax() || e.is_eof() {
        return ApiError::bad_request(format!("body is not valid JSON: {e}"));
    }
    let msg = e.to_string();
    let field = msg
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
        .unwrap_or("body")
        .to_string();
    ApiError::invalid_field(&field, format!("invalid signal document: {msg}"))
}

/// Registers a device: its id (kept, matched back by fingerprint, or new) and a device token.
#[utoipa::path(post, path = "/v1/devices", tag = "devices", security(("api_key" = [])),
    description = "Takes a **publishable** key (`pub_test_…` / `pub_live_…`; any other key is 403). \
        Browsers may call it from the key's `allowed_origins` only (CORS). The signal document is at \
        most 8 KB; every field is optional, no other field is accepted. The id the SDK stored is kept \
        when this tenant issued it; else a device seen with the same fingerprint within 30 days is \
        matched back when the fingerprint scores at least 8 points (Android ID / IDFV 8, canvas 4, \
        WebGL renderer 3, user agent 2, screen 2, every other field 1) and exactly one device has it; \
        else a new id.",
    request_body = SignalDoc,
    responses(
        (status = 200, description = "The device id and its token.", body = DeviceOut),
        (status = 400, response = crate::openapi::problem::InvalidRequest),
        (status = 401, response = crate::openapi::problem::Unauthorized),
        (status = 403, response = crate::openapi::problem::Forbidden),
        (status = 413, description = "The document is larger than 8 KB.",
            body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn post_device(
    key: Result<Publishable, ApiError>,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let resp = match key {
        Ok(Publishable(key)) => register(&s, &key, &body).await.into_response(),
        Err(e) => e.into_response(),
    };
    with_cors(&s, &headers, false, resp).await
}

async fn register(
    s: &AppState,
    key: &PublishableKey,
    body: &Bytes,
) -> Result<Json<DeviceOut>, ApiError> {
    if body.len() > MAX_DOC_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::PayloadTooLarge,
            format!(
                "the signal document is {} bytes; at most {MAX_DOC_BYTES}",
                body.len()
            ),
        ));
    }
    let body: &[u8] = if body.is_empty() { b"{}" } else { body };
    let doc: SignalDoc = serde_json::from_slice(body).map_err(|e| doc_error(&e))?;
    let issued = s.devices.register(key, &doc).await?;
    Ok(Json(DeviceOut {
        device_id: issued.device_id,
        device_token: issued.device_token,
        expires_at: issued.expires_at,
        signals: issued.signals,
        matched_by: issued.matched_by.to_string(),
    }))
}

/// The SDK's ETag: a hash of its text.
static DEVICE_JS_ETAG: LazyLock<String> = LazyLock::new(|| {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(DEVICE_JS.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..8]))
});

/// The browser SDK: `phoneguard.init({key, endpoint})` → `{device_id, device_token}`.
#[utoipa::path(get, path = "/sdk/v1/device.js", tag = "devices",
    responses(
        (status = 200, description = "The script (a few KB, no dependencies); cached a year, revalidated by ETag.",
            content_type = "text/javascript", body = String),
        (status = 304, description = "Not modified (If-None-Match)."),
    ))]
async fn device_js(headers: HeaderMap) -> Response {
    let etag = DEVICE_JS_ETAG.as_str();
    let cache = [
        (header::ETAG, etag.to_string()),
        (
            header::CACHE_CONTROL,
            "public, max-age=31536000, immutable".to_string(),
        ),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        DEVICE_JS,
    )
        .into_response()
}

/// Query of `GET /sdk/v1/demo`.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DemoQuery {
    /// A publishable key (`pub_test_…`).
    key: String,
}

/// A page that runs the SDK and shows its answer (`#device-id`, `#device-signals`).
#[utoipa::path(get, path = "/sdk/v1/demo", tag = "devices", params(DemoQuery),
    responses(
        (status = 200, description = "The demo page.", content_type = "text/html", body = String),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn demo(ApiQuery(q): ApiQuery<DemoQuery>) -> Result<Html<String>, ApiError> {
    let ok = (q.key.starts_with("pub_test_") || q.key.starts_with("pub_live_"))
        && q.key.len() <= 128
        && q.key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err(ApiError::invalid_field(
            "key",
            "key must be a publishable key (pub_test_… or pub_live_…); never put a secret key in a page",
        ));
    }
    Ok(Html(DEMO_HTML.replace("{KEY}", &q.key)))
}

const DEMO_HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>phoneguard device id</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:48rem}code,pre{background:#f3f3f3;padding:.2rem .4rem}</style>
</head><body>
<h1>phoneguard device id</h1>
<p>Device id: <code id="device-id">…</code></p>
<p>Signals:</p><pre id="device-signals">…</pre>
<p>Token: <code id="device-token" style="word-break:break-all">…</code></p>
<script src="/sdk/v1/device.js"></script>
<script>
phoneguard.init({ key: "{KEY}", endpoint: location.origin }).then(function (r) {
  document.getElementById("device-id").textContent = r.device_id;
  document.getElementById("device-signals").textContent = JSON.stringify(r.signals);
  document.getElementById("device-token").textContent = r.device_token;
}, function (e) {
  document.getElementById("device-id").textContent = "error: " + e.message;
});
</script>
</body></html>
"#;

/// Reads an event's `device_token` for the caller's tenant: a valid token
/// sets `device_id` to the id it names and brings its signals in; any other
/// token is recorded as invalid and never trusted as a device id (a bare
/// `device_id` sent beside it stays, unverified).
pub fn apply_token(state: &AppState, tenant_id: &str, event: &mut phoneguard_risk::RiskEvent) {
    use phoneguard_risk::{DeviceCheck, VerifiedDevice};
    let Some(token) = event.device_token.as_deref().map(str::trim) else {
        return;
    };
    if token.is_empty() {
        return;
    }
    event.device = match state.devices.verify_token(tenant_id, token) {
        Some(c) => {
            let timezone_mismatch = state.devices.timezone_mismatch(&c, event.ip.as_deref());
            event.device_id = Some(c.device_id);
            DeviceCheck::Valid(VerifiedDevice {
                timezone_mismatch,
                headless: c.signals.headless,
                webdriver: c.signals.webdriver,
                emulator: c.signals.emulator,
                rooted: c.signals.rooted,
                tampering: c.signals.tampering,
                fingerprint_devices: i64::from(c.fingerprint_devices),
            })
        }
        None => DeviceCheck::Invalid,
    };
}
