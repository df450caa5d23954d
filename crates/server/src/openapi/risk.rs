//! Schemas of the risk events: the handlers read them as the `risk` crate's
//! `RiskEvent` / `GeyanEvent` (lenient about numbers sent as strings), which
//! carry no schema.

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
