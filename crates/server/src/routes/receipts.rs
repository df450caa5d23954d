//! Delivery receipts: `POST /v1/receipts/{supplier_kind}/{supplier_id}`.
//!
//! - `twilio`: Twilio's status callback (form body, `MessageSid`/`CallSid`
//!   with `MessageStatus`/`CallStatus`), authenticated by `X-Twilio-Signature`
//!   under the account's auth token, over the URL Twilio called (scheme from
//!   `X-Forwarded-Proto`, else `http`; host from `Host`).
//! - `aliyun_sms`: Aliyun's SmsReport push (a JSON array of
//!   `{"biz_id", "success", "err_code", …}`), answered `{"code":0,"msg":"成功"}`;
//! - `tencent_sms`: Tencent Cloud's status callback (a JSON array of
//!   `{"sid", "report_status": "SUCCESS" | "FAIL", …}`), answered
//!   `{"result":0,"errmsg":"OK"}`. Neither vendor signs its pushes, so the
//!   callback URL configured at the vendor carries `?token=<receipt secret>`.
//! - any kind (and these two when `X-Phoneguard-Signature` is present, e.g.
//!   from a relay): JSON `{"message_id": "...", "status": "delivered" |
//!   "failed" | "undelivered"}` with `X-Phoneguard-Signature: sha256=<hex
//!   HMAC-SHA256 of the body>` under the supplier's receipt secret
//!   (`GET /v1/admin/receipts/{supplier_id}/secret`).
//!
//! A failed delivery excludes the supplier for the terminal at once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use hmac::{Hmac, KeyInit, Mac};
use phoneguard_core::secrets::constant_time_eq;
use phoneguard_core::verify::Delivery;
use phoneguard_suppliers::messaging::twilio_signature;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::state::AppState;

/// `/v1/receipts/{kind}/{id}` and `/v1/admin/receipts/{id}/secret`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_receipt))
        .routes(routes!(get_receipt_secret))
}

/// Body of a generic (non-Twilio) delivery receipt, signed with
/// `X-Phoneguard-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
#[derive(Deserialize, ToSchema)]
pub struct ReceiptIn {
    /// The supplier's message id.
    message_id: String,
    /// `delivered`, `failed` or `undelivered` (others are acknowledged with 202).
    status: String,
}

/// Answer to a delivery receipt of ours.
#[derive(Serialize, ToSchema)]
pub struct ReceiptOut {
    /// Whether an attempt was updated.
    updated: bool,
    /// The delivery now recorded (`delivered`, `failed`), when updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<phoneguard_core::verify::Delivery>)]
    delivery: Option<&'static str>,
    /// The status sent, when it was not one that updates (202).
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
}

/// What Aliyun takes as "received" (`{"code":0,"msg":"成功"}`).
#[derive(Serialize, ToSchema)]
pub struct AliyunAck {
    /// 0.
    code: i64,
    /// `成功`.
    msg: &'static str,
}

/// What Tencent Cloud takes as "received" (`{"result":0,"errmsg":"OK"}`).
#[derive(Serialize, ToSchema)]
pub struct TencentAck {
    /// 0.
    result: i64,
    /// `OK`.
    errmsg: &'static str,
}

/// Answer to a delivery receipt: ours, or the vendor's own acknowledgement of
/// a batch push.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ReceiptAnswer {
    Ours(ReceiptOut),
    Aliyun(AliyunAck),
    Tencent(TencentAck),
}

/// The receipt secret of a supplier.
#[derive(Serialize, ToSchema)]
pub struct ReceiptSecretOut {
    /// The supplier.
    supplier_id: String,
    /// The HMAC key of its receipts.
    secret: String,
    /// How to sign.
    header: &'static str,
    /// The callback path to configure at an Aliyun or Tencent Cloud console
    /// (their pushes are unsigned, so the URL carries the secret).
    push_path: String,
}

fn delivery(status: &str) -> Option<Delivery> {
    match status {
        "delivered" | "completed" | "no-answer" | "busy" => Some(Delivery::Delivered),
        "failed" | "undelivered" => Some(Delivery::Failed),
        _ => None,
    }
}

/// Receipts in one vendor push, at most.
const MAX_BATCH: usize = 1_000;

/// A vendor that pushes receipts as its own JSON batch, unsigned.
#[derive(Clone, Copy)]
enum Batch {
    Aliyun,
    Tencent,
}

impl Batch {
    fn of(kind: &str) -> Option<Batch> {
        match kind {
            "aliyun_sms" => Some(Batch::Aliyun),
            "tencent_sms" => Some(Batch::Tencent),
            _ => None,
        }
    }

    /// The answer the vendor takes as "received, do not push again".
    fn ack(self) -> ReceiptAnswer {
        match self {
            Batch::Aliyun => ReceiptAnswer::Aliyun(AliyunAck {
                code: 0,
                msg: "成功",
            }),
            Batch::Tencent => ReceiptAnswer::Tencent(TencentAck {
                result: 0,
                errmsg: "OK",
            }),
        }
    }

    /// Message id and delivery of every receipt of the push; a malformed one
    /// refuses the whole push (nothing is applied), naming its place.
    fn parse(self, body: &[u8]) -> Result<Vec<(String, Delivery)>, ApiError> {
        let items: Vec<Value> = serde_json::from_slice(body).map_err(|e| {
            ApiError::invalid_field("body", format!("expected a JSON array of receipts: {e}"))
        })?;
        if items.len() > MAX_BATCH {
            return Err(ApiError::invalid_field(
                "body",
                format!("{} receipts in one push; at most {MAX_BATCH}", items.len()),
            ));
        }
        let (id_field, status_field) = match self {
            Batch::Aliyun => ("biz_id", "success"),
            Batch::Tencent => ("sid", "report_status"),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = |f: &str| format!("[{i}].{f}");
                let id = item
                    .get(id_field)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && s.len() <= 128)
                    .ok_or_else(|| {
                        ApiError::invalid_field(&field(id_field), "a message id string (1-128)")
                    })?;
                let status = item.get(status_field);
                let delivery = match (self, status) {
                    // Aliyun writes `success` as a boolean; some relays as a string.
                    (Batch::Aliyun, Some(Value::Bool(true))) => Some(Delivery::Delivered),
                    (Batch::Aliyun, Some(Value::Bool(false))) => Some(Delivery::Failed),
                    (Batch::Aliyun, Some(Value::String(s))) if s == "true" => {
                        Some(Delivery::Delivered)
                    }
                    (Batch::Aliyun, Some(Value::String(s))) if s == "false" => {
                        Some(Delivery::Failed)
                    }
                    (Batch::Tencent, Some(Value::String(s))) if s == "SUCCESS" => {
                        Some(Delivery::Delivered)
                    }
                    (Batch::Tencent, Some(Value::String(s))) if s == "FAIL" => {
                        Some(Delivery::Failed)
                    }
                    _ => None,
                };
                let want = match self {
                    Batch::Aliyun => "true or false",
                    Batch::Tencent => "\"SUCCESS\" or \"FAIL\"",
                };
                delivery
                    .map(|d| (id.to_string(), d))
                    .ok_or_else(|| ApiError::invalid_field(&field(status_field), want))
            })
            .collect()
    }
}

/// Whether the callback URL's `token` is the supplier's receipt secret.
fn token_matches(uri: &Uri, secret: &str) -> bool {
    let token = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    constant_time_eq(token.as_bytes(), secret.as_bytes())
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
        ("token" = Option<String>, Query, description = "The supplier's receipt secret, for the unsigned pushes of `aliyun_sms` and `tencent_sms`."),
    ),
    request_body(content(
        (ReceiptIn = "application/json"),
        (String = "application/x-www-form-urlencoded"),
    ), description = "`twilio`: its status callback form. `aliyun_sms`: Aliyun's SmsReport JSON array \
        (`biz_id`, `success`, …). `tencent_sms`: Tencent Cloud's status callback JSON array (`sid`, \
        `report_status`, …). Every other kind, or any kind sent with `X-Phoneguard-Signature`: \
        `{\"message_id\", \"status\"}`."),
    responses(
        (status = 200, description = "The attempt's delivery was updated; for a vendor batch, the vendor's own \
            acknowledgement (`{\"code\":0,\"msg\":\"成功\"}` for Aliyun, `{\"result\":0,\"errmsg\":\"OK\"}` for Tencent), \
            also when some receipts were of messages not sent through this supplier.", body = ReceiptAnswer,
            example = json!({"updated": true, "delivery": "delivered"})),
        (status = 202, description = "A status that changes nothing (e.g. `queued`).", body = ReceiptOut,
            example = json!({"updated": false, "status": "queued"})),
        (status = 401, description = "The signature (or the URL's token) does not verify (`unauthorized`).",
            body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn post_receipt(
    State(s): State<AppState>,
    Path((kind, supplier_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<(StatusCode, Json<ReceiptAnswer>), ApiError> {
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
    if let Some(batch) = Batch::of(&kind)
        && !headers.contains_key("x-phoneguard-signature")
    {
        if !token_matches(&uri, &s.verify.receipt_secret(&supplier_id)) {
            return Err(ApiError::unauthorized(
                "the receipt URL's token is not this supplier's receipt secret",
            ));
        }
        let receipts = batch.parse(&body)?;
        let mut unknown = 0usize;
        for (message_id, d) in &receipts {
            if !s.verify.receipt(&supplier_id, message_id, *d).await? {
                unknown += 1;
            }
        }
        if unknown > 0 {
            tracing::debug!(
                supplier = %supplier_id,
                receipts = receipts.len(),
                unknown,
                "receipts for messages no attempt of this supplier sent"
            );
        }
        return Ok((StatusCode::OK, Json(batch.ack())));
    }
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
        let answer = ReceiptOut {
            updated: false,
            delivery: None,
            status: Some(status),
        };
        return Ok((StatusCode::ACCEPTED, Json(ReceiptAnswer::Ours(answer))));
    };
    let found = s.verify.receipt(&supplier_id, &message_id, d).await?;
    if !found {
        return Err(ApiError::not_found(
            "no attempt of this supplier has that message id",
        ));
    }
    let answer = ReceiptOut {
        updated: true,
        delivery: Some(d.as_str()),
        status: None,
    };
    Ok((StatusCode::OK, Json(ReceiptAnswer::Ours(answer))))
}

/// The HMAC secret a supplier signs its receipts with.
#[utoipa::path(get, path = "/v1/admin/receipts/{supplier_id}/secret", tag = "admin", security(("admin_token" = [])),
    params(("supplier_id" = String, Path, description = "The supplier's id.")),
    responses(
        (status = 200, description = "The secret and how to sign.", body = ReceiptSecretOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_receipt_secret(
    _: Admin,
    State(s): State<AppState>,
    Path(supplier_id): Path<String>,
) -> Result<Json<ReceiptSecretOut>, ApiError> {
    let kind = s.suppliers.get(&supplier_id).await?.kind;
    let secret = s.verify.receipt_secret(&supplier_id);
    let push_path = format!("/v1/receipts/{kind}/{supplier_id}?token={secret}");
    Ok(Json(ReceiptSecretOut {
        supplier_id,
        secret,
        header: "X-Phoneguard-Signature: sha256=<hex HMAC-SHA256(secret, body)>",
        push_path,
    }))
}
