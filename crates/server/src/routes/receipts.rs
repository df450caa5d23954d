//! Delivery receipts: `POST /v1/receipts/{supplier_kind}/{supplier_id}`.
//!
//! - `twilio`: Twilio's status callback (form body, `MessageSid`/`CallSid`
//!   with `MessageStatus`/`CallStatus`), authenticated by `X-Twilio-Signature`
//!   under the account's auth token, over the URL Twilio called (scheme from
//!   `X-Forwarded-Proto`, else `http`; host from `Host`).
//! - any other kind: JSON `{"message_id": "...", "status": "delivered" |
//!   "failed" | "undelivered"}` with `X-Phoneguard-Signature: sha256=<hex
//!   HMAC-SHA256 of the body>` under the supplier's receipt secret
//!   (`GET /v1/admin/receipts/{supplier_id}/secret`).
//!
//! A failed delivery excludes the supplier for the terminal at once.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, KeyInit, Mac};
use phoneguard_core::secrets::constant_time_eq;
use phoneguard_core::verify::Delivery;
use phoneguard_suppliers::messaging::twilio_signature;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Admin;
use crate::error::ApiError;
use crate::state::AppState;

/// `/v1/receipts/{kind}/{id}` and `/v1/admin/receipts/{id}/secret`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/receipts/{supplier_kind}/{supplier_id}",
            post(post_receipt),
        )
        .route(
            "/v1/admin/receipts/{supplier_id}/secret",
            get(get_receipt_secret),
        )
}

/// The JSON receipt of non-vendor kinds.
#[derive(Deserialize)]
struct ReceiptIn {
    message_id: String,
    status: String,
}

fn delivery(status: &str) -> Option<Delivery> {
    match status {
        "delivered" | "completed" | "no-answer" | "busy" => Some(Delivery::Delivered),
        "failed" | "undelivered" => Some(Delivery::Failed),
        _ => None,
    }
}

fn unauthorized() -> ApiError {
    ApiError::unauthorized("the receipt signature does not verify")
}

fn twilio_receipt(
    headers: &HeaderMap,
    uri: &Uri,
    body: &[u8],
    token: &str,
) -> Result<(String, String), ApiError> {
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    let url = format!(
        "{proto}://{host}{}",
        uri.path_and_query().map_or("", |p| p.as_str())
    );
    let given = headers
        .get("x-twilio-signature")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !constant_time_eq(
        twilio_signature(token, &url, &params).as_bytes(),
        given.as_bytes(),
    ) {
        return Err(unauthorized());
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let id = get("MessageSid")
        .or_else(|| get("CallSid"))
        .ok_or_else(|| ApiError::invalid_field("MessageSid", "missing"))?;
    let status = get("MessageStatus")
        .or_else(|| get("CallStatus"))
        .unwrap_or_default();
    Ok((id, status))
}

/// A delivery receipt from a messaging supplier, authenticated by its signature.
#[utoipa::path(post, path = "/v1/receipts/{supplier_kind}/{supplier_id}", tag = "receipts",
    params(
        ("supplier_kind" = String, Path, description = "The supplier's kind, e.g. `twilio`, `sandbox`."),
        ("supplier_id" = String, Path, description = "The supplier's id."),
        ("X-Phoneguard-Signature" = Option<String>, Header,
            description = "`sha256=<hex HMAC-SHA256(secret, body)>` (every kind but `twilio`)."),
        ("X-Twilio-Signature" = Option<String>, Header, description = "Twilio's signature (`twilio`)."),
    ),
    request_body(content(
        (crate::openapi::verify::ReceiptIn = "application/json"),
        (String = "application/x-www-form-urlencoded"),
    ), description = "JSON for every kind but `twilio`, whose status callback is a form."),
    responses(
        (status = 200, description = "The attempt's delivery was updated.", body = crate::openapi::verify::ReceiptOut,
            example = json!({"updated": true, "delivery": "delivered"})),
        (status = 202, description = "A status that changes nothing (e.g. `queued`).", body = crate::openapi::verify::ReceiptOut,
            example = json!({"updated": false, "status": "queued"})),
        (status = 401, description = "The signature does not verify (`unauthorized`).",
            body = crate::openapi::problem::Problem, content_type = "application/problem+json"),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn post_receipt(
    State(s): State<AppState>,
    Path((kind, supplier_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let route = s
        .verify
        .route(&supplier_id)
        .await
        .filter(|r| r.config.kind == kind);
    let Some(route) = route else {
        return Err(ApiError::not_found(format!(
            "no {kind} messaging supplier {supplier_id}"
        )));
    };
    let (message_id, status) = match (kind.as_str(), &route.receipt_token) {
        ("twilio", Some(token)) => twilio_receipt(&headers, &uri, &body, token)?,
        ("twilio", None) => return Err(unauthorized()),
        _ => {
            let given = headers
                .get("x-phoneguard-signature")
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let secret = s.verify.receipt_secret(&supplier_id);
            let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
                .expect("any key length");
            mac.update(&body);
            let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
            if !constant_time_eq(want.as_bytes(), given.as_bytes()) {
                return Err(unauthorized());
            }
            let r: ReceiptIn = serde_json::from_slice(&body).map_err(|e| {
                ApiError::invalid_field(
                    "body",
                    format!("expected {{\"message_id\", \"status\"}}: {e}"),
                )
            })?;
            (r.message_id, r.status)
        }
    };
    let Some(d) = delivery(&status) else {
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "updated": false, "status": status })),
        ));
    };
    let found = s.verify.receipt(&supplier_id, &message_id, d).await?;
    if !found {
        return Err(ApiError::not_found(
            "no attempt of this supplier has that message id",
        ));
    }
    Ok((
        StatusCode::OK,
        Json(json!({ "updated": true, "delivery": d.as_str() })),
    ))
}

/// The HMAC secret a supplier signs its receipts with.
#[utoipa::path(get, path = "/v1/admin/receipts/{supplier_id}/secret", tag = "admin", security(("admin_token" = [])),
    params(("supplier_id" = String, Path, description = "The supplier's id.")),
    responses((status = 200, description = "The secret and how to sign.", body = crate::openapi::verify::ReceiptSecretOut)))]
async fn get_receipt_secret(
    _: Admin,
    State(s): State<AppState>,
    Path(supplier_id): Path<String>,
) -> Json<Value> {
    Json(
        json!({ "supplier_id": supplier_id, "secret": s.verify.receipt_secret(&supplier_id), "header": "X-Phoneguard-Signature: sha256=<hex HMAC-SHA256(secret, body)>" }),
    )
}
