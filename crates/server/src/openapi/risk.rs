//! Schemas of the risk endpoints and the geyan compat envelope.

use serde::Serialize;
use utoipa::ToSchema;

/// A number, or a string holding one (the seed's SDK sends every field as a
/// string; an empty string counts as absent).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum IntOrString {
    /// A number.
    Int(i64),
    /// A numeric string.
    Str(String),
}

/// The event fields, once per wire style (snake_case and the seed's camelCase).
macro_rules! risk_event {
    ($(#[$doc:meta])* $name:ident, $case:literal) => {
        #[derive(Serialize, ToSchema)]
        $(#[$doc])*
        #[serde(rename_all = $case)]
        pub struct $name {
            /// The user's unique id (the MD5 of it when it is a phone or e-mail).
            account: String,
            /// E-mail address, or its MD5.
            email: Option<String>,
            /// Phone number (any common format) or the 32-hex MD5 of its 11 digits.
            pn: Option<String>,
            /// 32-hex MD5 of the password.
            pwd: Option<String>,
            /// Nickname.
            nick_name: Option<String>,
            /// Registration time, Unix seconds.
            register_time: Option<IntOrString>,
            /// Login time, Unix seconds.
            login_time: Option<IntOrString>,
            /// Client environment, 2–12.
            run_env: Option<IntOrString>,
            /// Pointer or touch moves during the form.
            move_count: Option<IntOrString>,
            /// Clicks during the form.
            click_count: Option<IntOrString>,
            /// Key presses during the form.
            key_count: Option<IntOrString>,
            /// Seconds spent on the form.
            operating_time: Option<IntOrString>,
            /// The client's public IP address.
            ip: Option<String>,
            /// App version.
            app_ver: Option<String>,
            /// Device MAC address.
            mac: Option<String>,
            /// iOS advertising identifier.
            idfa: Option<String>,
            /// Terminal id.
            device_id: Option<String>,
            /// HTTP `Referer`.
            referrer: Option<String>,
            /// HTTP `User-Agent`.
            user_agent: Option<String>,
            /// HTTP `X-Forwarded-For`.
            x_forward_for: Option<String>,
            /// Outcome: 0 failure, 1 success.
            result: Option<IntOrString>,
            /// Failure reason: 0 other, 1 bad parameters, 2 account conflict, 3 verification error.
            reason: Option<IntOrString>,
            /// Login method: 0 password, 1 QR code, 2 SMS code.
            login_type: Option<IntOrString>,
        }
    };
}

risk_event!(
    /// Body of `POST /v1/risk/register|login`: the anti-fraud seed's fields in
    /// snake_case; only `account` is required, unknown fields are ignored.
    #[schema(example = json!({"account": "u-1001", "pn": "13800138000", "ip": "203.0.113.7",
        "device_id": "dev-42", "run_env": 4, "operating_time": 35}))]
    RiskEventIn,
    "snake_case"
);

risk_event!(
    /// Body of `POST /compat/geyan/check-register|check-login`: the seed's
    /// `GyCheckModel` with its camelCase names.
    #[schema(example = json!({"account": "u-1001", "pn": "13800138000", "ip": "203.0.113.7",
        "deviceId": "dev-42", "runEnv": "4", "operatingTime": "35"}))]
    GeyanEventIn,
    "camelCase"
);

/// One rule that fired.
#[derive(Serialize, ToSchema)]
pub struct ReasonOut {
    /// The rule id (`ip_velocity`, `common_password`, …).
    code: String,
    /// 1 account, 2 network, 3 device, 4 behaviour.
    risk_type: u8,
    /// The rule's reason, filled in.
    detail: String,
    /// What it added to the score.
    score: i64,
}

/// A risk result.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"level": 2, "risk_types": [3, 2], "decision": "review",
    "reasons": [{"code": "ip_velocity", "risk_type": 2, "detail": "23 registrations from this IP in 1h", "score": 30}],
    "score": 30, "token": "rk_…", "kind": "register",
    "created_at": "2026-11-23T10:00:00Z", "expires_at": "2026-11-30T10:00:00Z"}))]
pub struct RiskResultOut {
    /// 0 safe, 1–2 suspicious, 3–4 risky.
    #[schema(minimum = 0, maximum = 4)]
    level: u8,
    /// 1 account, 2 network, 3 device, 4 behaviour; most contributing first.
    risk_types: Vec<u8>,
    /// `allow`, `review` or `deny`.
    decision: String,
    /// The rules that fired.
    reasons: Vec<ReasonOut>,
    /// Total score.
    score: i64,
    /// Reads the result back (`GET /v1/risk/results/{token}`).
    token: String,
    /// `register` or `login`.
    kind: String,
    /// When it was assessed.
    created_at: chrono::DateTime<chrono::Utc>,
    /// When it is deleted.
    expires_at: chrono::DateTime<chrono::Utc>,
}

/// What is known of a device.
#[derive(Serialize, ToSchema)]
pub struct DeviceRiskOut {
    /// The device id asked about.
    device_id: String,
    /// Level of its latest event.
    level: u8,
    /// Risk types of its latest event.
    risk_types: Vec<u8>,
    /// Decision of its latest event.
    decision: String,
    /// Reasons of its latest event.
    reasons: Vec<ReasonOut>,
    /// Its first event.
    first_seen: chrono::DateTime<chrono::Utc>,
    /// Its latest event.
    last_seen: chrono::DateTime<chrono::Utc>,
    /// Distinct accounts seen on it.
    accounts: i64,
    /// Events seen.
    events: i64,
}

/// The innermost `data` of a geyan answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeyanResult {
    /// 0–4.
    level: u8,
    /// Risk types.
    risk_type: Vec<u8>,
    /// The result token.
    token: String,
}

/// The `data` of a geyan answer.
#[derive(Serialize, ToSchema)]
pub struct GeyanData {
    /// 20000 success, 40001 bad parameter.
    result: i64,
    /// `成功`, or the bad parameter named.
    msg: String,
    /// Present on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<GeyanResult>,
}

/// The geyan envelope: HTTP 200 also for a bad parameter (`result` 40001).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"errno": 0, "data": {"result": 20000, "msg": "成功",
    "data": {"level": 2, "riskType": [3, 2], "token": "rk_…"}}}))]
pub struct GeyanOut {
    /// Always 0.
    errno: i64,
    /// The answer.
    data: GeyanData,
}
