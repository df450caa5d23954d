//! Schemas of verifications, the sandbox outbox and delivery receipts.

use serde::Serialize;
use utoipa::ToSchema;

/// How a code (or a call) reaches the phone.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelCode {
    /// A text message with the code.
    Sms,
    /// A call reading the code out.
    Voice,
    /// A missed call from a chosen number; the app reports what called it.
    FlashCall,
    /// Flash call first, SMS after the flash-call window.
    Auto,
}

/// Where a verification stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Waiting for the code (or the flash-call report).
    Pending,
    /// The right code was entered.
    Approved,
    /// Canceled, or replaced by a newer verification.
    Canceled,
    /// Its time ran out.
    Expired,
    /// Too many wrong checks.
    MaxAttemptsReached,
    /// No supplier could deliver.
    Failed,
}

/// Delivery of one attempt, as last reported.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryCode {
    /// Accepted by the supplier, no receipt yet.
    Sent,
    /// Reached the phone.
    Delivered,
    /// Did not reach the phone.
    Failed,
}

/// The flash-call part of a verification: never the caller number itself.
#[derive(Serialize, ToSchema)]
pub struct FlashCallOut {
    /// Seconds the app has to report the incoming call.
    window_s: i64,
    /// The leading digits of the caller number, when the supplier tells them.
    prefix_hint: Option<String>,
}

/// Answer of a check or a flash-call report.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "ver_01JD…", "status": "approved", "remaining_attempts": 4}))]
pub struct CheckOut {
    /// Verification id.
    id: String,
    /// `approved` or `pending`.
    status: VerificationStatus,
    /// Wrong checks left.
    remaining_attempts: u32,
}

/// A message a sandbox supplier delivered (the only place a code is readable).
#[derive(Serialize, ToSchema)]
pub struct OutboxMessageOut {
    /// E.164 destination.
    phone: String,
    /// Supplier id.
    supplier: String,
    /// `sms` or `voice`.
    channel: String,
    /// The text, with the code.
    text: String,
    /// The supplier's message id (receipts refer to it).
    message_id: String,
    /// When it was delivered.
    sent_at: chrono::DateTime<chrono::Utc>,
}

/// A flash call a sandbox supplier placed.
#[derive(Serialize, ToSchema)]
pub struct OutboxCallOut {
    /// E.164 destination.
    phone: String,
    /// Supplier id.
    supplier: String,
    /// The number that called (E.164).
    caller: String,
    /// The supplier's call id.
    call_id: String,
    /// When it was placed.
    placed_at: chrono::DateTime<chrono::Utc>,
}

/// Answer of `GET /v1/sandbox/messages`, newest first.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessagesOut {
    /// The messages.
    messages: Vec<OutboxMessageOut>,
}

/// Answer of `GET /v1/sandbox/calls`, newest first.
#[derive(Serialize, ToSchema)]
pub struct OutboxCallsOut {
    /// The calls.
    calls: Vec<OutboxCallOut>,
}

/// What sandbox suppliers will answer for a number (masks only).
#[derive(Serialize, ToSchema)]
pub struct SandboxSubscriberOut {
    /// E.164.
    number: String,
    /// The line status code.
    status: String,
    /// Tenure in months, if set.
    tenure_months: Option<u32>,
    /// The carrier it moved to, if set.
    ported_to: Option<String>,
    /// The holder's name, masked.
    name: Option<String>,
    /// The ID number, masked.
    id_number: Option<String>,
}

/// A tenant's destination countries for codes.
#[derive(Serialize, ToSchema)]
pub struct CountriesOut {
    /// The tenant.
    tenant_id: String,
    /// ISO 3166 regions codes may go to.
    countries: Vec<String>,
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

/// What Aliyun takes as "received" (`{"code":0,"msg":"成功"}`).
#[derive(Serialize, ToSchema)]
pub struct AliyunAck {
    /// 0.
    code: i64,
    /// `成功`.
    msg: String,
}

/// What Tencent Cloud takes as "received" (`{"result":0,"errmsg":"OK"}`).
#[derive(Serialize, ToSchema)]
pub struct TencentAck {
    /// 0.
    result: i64,
    /// `OK`.
    errmsg: String,
}

/// Answer to a delivery receipt of ours.
#[derive(Serialize, ToSchema)]
pub struct ReceiptOut {
    /// Whether an attempt was updated.
    updated: bool,
    /// The delivery now recorded (`delivered`, `failed`), when updated.
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery: Option<DeliveryCode>,
    /// The status sent, when it was not one that updates (202).
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
}

/// Body of a generic (non-Twilio) delivery receipt, signed with
/// `X-Phoneguard-Signature: sha256=<hex HMAC-SHA256(secret, body)>`.
#[derive(Serialize, ToSchema)]
pub struct ReceiptIn {
    /// The supplier's message id.
    message_id: String,
    /// `delivered`, `failed` or `undelivered` (others are acknowledged with 202).
    status: String,
}

/// The receipt secret of a supplier.
#[derive(Serialize, ToSchema)]
pub struct ReceiptSecretOut {
    /// The supplier.
    supplier_id: String,
    /// The HMAC key of its receipts.
    secret: String,
    /// How to sign.
    header: String,
    /// The callback path to configure at an Aliyun or Tencent Cloud console
    /// (their pushes are unsigned, so the URL carries the secret).
    push_path: String,
}

/// A tenant's own verification texts (laid over `verify.templates` and `verify.app_name`).
#[derive(Serialize, ToSchema)]
pub struct TenantTemplatesDoc {
    /// The name put in `{app}`; unset: the configured `verify.app_name`.
    app_name: Option<String>,
    /// Texts keyed `sms.zh-CN`, `sms.en`, `voice.zh-CN`, `voice.en`; each must contain
    /// `{code}` and may use `{ttl_min}` and `{app}` (at most 480 characters).
    #[schema(example = json!({"sms.en": "{app}: {code} is your code, valid {ttl_min} min"}))]
    templates: std::collections::BTreeMap<String, String>,
}

/// Body of `PUT /v1/admin/tenants/{id}/verify-templates`.
#[derive(Serialize, ToSchema)]
pub struct TemplatesInDoc {
    /// The tenant's texts; `null` restores the configured ones.
    templates: Option<TenantTemplatesDoc>,
}

/// A tenant's own verification texts.
#[derive(Serialize, ToSchema)]
pub struct TemplatesOut {
    /// The tenant.
    tenant_id: String,
    /// Its own texts; `null` when it uses the configured ones.
    templates: Option<TenantTemplatesDoc>,
}
