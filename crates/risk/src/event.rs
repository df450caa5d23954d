//! The event a client reports at registration or login (the anti-fraud
//! seed's `GyCheckModel`, in snake_case).

use serde::{Deserialize, Serialize};

/// Which protection endpoint an event came through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// 注册保护: an account is being created.
    #[default]
    Register,
    /// 登录保护: an existing account is signing in.
    Login,
}

impl EventKind {
    /// `"register"` or `"login"`, as in counter keys and the `kind` feature.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Register => "register",
            EventKind::Login => "login",
        }
    }
}

/// One registration or login event.
///
/// Deserializes from the snake_case body of `POST /v1/risk/register|login`:
/// numeric fields take numbers or numeric strings (the seed's SDK sends every
/// field as a string), and an empty string counts as absent. A value that
/// cannot be read (`"run_env": "abc"`, an object where a string belongs) does
/// not fail deserialization: it is kept in [`RiskEvent::unreadable`] and
/// reported by [`RiskEvent::validate`] with the field's name. Unknown fields
/// are ignored; anything but a JSON object is an error. `kind` defaults to `register`; the server sets it from the
/// endpoint.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RiskEvent {
    /// Register or login.
    pub kind: EventKind,
    /// The user's unique id (the MD5 of it when it is a phone or e-mail);
    /// required, empty means missing.
    pub account: String,
    /// E-mail address, or its MD5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number (any common format) or the 32-hex MD5 of its 11 digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pn: Option<String>,
    /// 32-hex MD5 of the password, either case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pwd: Option<String>,
    /// Nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Registration time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_time: Option<i64>,
    /// Login time, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_time: Option<i64>,
    /// Client environment, 2–12 as in the seed (see [`crate::platform_name`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_env: Option<i64>,
    /// Pointer or touch move events during the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_count: Option<i64>,
    /// Clicks, mouse-downs and touch-starts during the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub click_count: Option<i64>,
    /// Key presses during the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_count: Option<i64>,
    /// Seconds spent on the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_time: Option<i64>,
    /// The client's public IP address (v4 or v6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// App version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_ver: Option<String>,
    /// Device MAC address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// iOS advertising identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idfa: Option<String>,
    /// Terminal id from the SDK (the seed's gyuid) or the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// A device token from `POST /v1/devices` (the server verifies it and
    /// records the outcome in [`RiskEvent::device`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
    /// What the server made of `device_token`.
    #[serde(skip)]
    pub device: DeviceCheck,
    /// HTTP `Referer` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// HTTP `User-Agent` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// HTTP `X-Forwarded-For` header (or another proxy header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_forward_for: Option<String>,
    /// Outcome: 0 failure, 1 success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<i64>,
    /// Failure reason: 0 other, 1 bad parameters, 2 account conflict,
    /// 3 verification error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<i64>,
    /// Login method: 0 password, 1 QR code, 2 SMS code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_type: Option<i64>,
    /// Fields whose value could not be read; [`RiskEvent::validate`]
    /// reports them first.
    #[serde(skip)]
    pub unreadable: Vec<FieldError>,
}

impl RiskEvent {
    /// A registration event for `account` with every other field absent.
    pub fn register(account: impl Into<String>) -> Self {
        RiskEvent {
            account: account.into(),
            ..RiskEvent::default()
        }
    }

    /// A login event for `account` with every other field absent.
    pub fn login(account: impl Into<String>) -> Self {
        RiskEvent {
            kind: EventKind::Login,
            account: account.into(),
            ..RiskEvent::default()
        }
    }

    /// Whether this is a login whose `result` says it failed (`0`).
    pub fn is_failed_login(&self) -> bool {
        self.kind == EventKind::Login && self.result == Some(0)
    }
}

/// What the server made of an event's `device_token`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DeviceCheck {
    /// No token was sent.
    #[default]
    Absent,
    /// A valid token of the caller's tenant: `device_id` is the one it names.
    Valid(VerifiedDevice),
    /// Malformed, forged, expired or another tenant's.
    Invalid,
}

/// The signals a valid device token carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifiedDevice {
    /// A headless or automated browser.
    pub headless: bool,
    /// `navigator.webdriver` was true.
    pub webdriver: bool,
    /// An emulator.
    pub emulator: bool,
    /// Rooted or jailbroken.
    pub rooted: bool,
    /// Contradicting signals or a forged stored id.
    pub tampering: bool,
    /// Device ids issued to its fingerprint on the tenant in 30 days.
    pub fingerprint_devices: i64,
    /// The browser's time zone is of another country than the event's `ip`
    /// (false when either country is unknown).
    pub timezone_mismatch: bool,
}

/// A field that is missing, unreadable or out of bounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The snake_case field name, e.g. `run_env`.
    pub field: &'static str,
    /// What is wrong, e.g. `must be an integer from 2 to 12`.
    pub message: String,
}

impl FieldError {
    /// A new error for `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The seed's name of a `run_env` value: `web`, `wap`, `ios_phone`,
/// `android_phone`, `windows_phone`, `ios_tablet`, `android_tablet`,
/// `windows_tablet`, `windows_desktop`, `mac_desktop`, `linux_desktop`;
/// `""` for anything else.
pub fn platform_name(run_env: i64) -> &'static str {
    match run_env {
        2 => "web",
        3 => "wap",
        4 => "ios_phone",
        5 => "android_phone",
        6 => "windows_phone",
        7 => "ios_tablet",
        8 => "android_tablet",
        9 => "windows_tablet",
        10 => "windows_desktop",
        11 => "mac_desktop",
        12 => "linux_desktop",
        _ => "",
    }
}
