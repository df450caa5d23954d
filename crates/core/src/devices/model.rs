//! Publishable keys, devices, the signal document and what issuing answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::error::StoreError;

/// A publishable key (`pub_test_…` / `pub_live_…`): public by design, it may
/// only register devices, and only from its allowed origins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishableKey {
    /// `key_…`
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// `pub_live_…` rather than `pub_test_…`.
    pub live: bool,
    /// HMAC-SHA256 of the key under the server's hash secret, hex.
    #[serde(skip)]
    pub hash: String,
    /// The first characters of the key.
    pub hint: String,
    /// Exact origins (`https://shop.example`) a browser may call from.
    pub allowed_origins: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl PublishableKey {
    /// `pub_test_` or `pub_live_`.
    pub fn prefix(live: bool) -> &'static str {
        if live { "pub_live_" } else { "pub_test_" }
    }
}

/// A device phoneguard issued an id to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// `dev_…`
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// Keyed hash of its latest fingerprint, hex.
    pub fingerprint: String,
    /// Its latest signals, as JSON.
    pub signals: String,
    /// When it was issued.
    pub first_seen: DateTime<Utc>,
    /// When it last called `POST /v1/devices`.
    pub last_seen: DateTime<Utc>,
}

/// The signal document of `POST /v1/devices`: every field optional, no
/// other field accepted.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignalDoc {
    /// `navigator.userAgent`.
    pub user_agent: Option<String>,
    /// UA client hints (`navigator.userAgentData`).
    pub client_hints: Option<ClientHints>,
    /// `navigator.platform`.
    pub platform: Option<String>,
    /// `navigator.languages`.
    pub languages: Option<Vec<String>>,
    /// IANA time zone (`Asia/Shanghai`).
    pub timezone: Option<String>,
    /// Screen size and colour depth.
    pub screen: Option<Screen>,
    /// `navigator.hardwareConcurrency`.
    pub hardware_concurrency: Option<u32>,
    /// `navigator.deviceMemory` (GiB).
    pub device_memory: Option<f64>,
    /// `navigator.maxTouchPoints`.
    pub touch_points: Option<u32>,
    /// Hash of a canvas drawing (hex or base64, at most 128 characters).
    pub canvas_hash: Option<String>,
    /// WebGL unmasked renderer.
    pub webgl_renderer: Option<String>,
    /// `navigator.webdriver`.
    pub webdriver: Option<bool>,
    /// Whether localStorage / cookies could be written.
    pub storage: Option<bool>,
    /// The `dev_…` id the SDK stored, if any.
    pub device_id: Option<String>,
    /// Mobile: Android ID.
    pub android_id: Option<String>,
    /// Mobile: iOS identifier for vendor.
    pub idfv: Option<String>,
    /// Mobile: device model.
    pub model: Option<String>,
    /// Mobile: OS version.
    pub os_version: Option<String>,
    /// Mobile: the app runs in an emulator.
    pub emulator: Option<bool>,
    /// Mobile: the device is rooted or jailbroken.
    pub rooted: Option<bool>,
}

/// UA client hints.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientHints {
    /// Brand names (`Chromium`, `Google Chrome`, `HeadlessChrome`…).
    pub brands: Option<Vec<String>>,
    /// A phone or tablet.
    pub mobile: Option<bool>,
    /// Operating system.
    pub platform: Option<String>,
}

/// Screen size and colour depth.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Screen {
    /// CSS pixels.
    pub width: Option<u32>,
    /// CSS pixels.
    pub height: Option<u32>,
    /// Bits per pixel.
    pub color_depth: Option<u32>,
}

/// What the signals say of the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceSignals {
    /// A headless or automated browser (HeadlessChrome in the UA or its
    /// client hints, `navigator.webdriver`, or a software WebGL renderer).
    pub headless: bool,
    /// `navigator.webdriver` is true.
    pub webdriver: bool,
    /// An emulator (mobile `emulator`, or an emulator model or UA marker).
    pub emulator: bool,
    /// A rooted or jailbroken device.
    pub rooted: bool,
    /// Signals that contradict each other (UA vs platform or client hints),
    /// or a stored id this tenant never issued.
    pub tampering: bool,
}

impl DeviceSignals {
    /// As the bits of a token.
    pub fn bits(self) -> u8 {
        u8::from(self.headless)
            | u8::from(self.webdriver) << 1
            | u8::from(self.emulator) << 2
            | u8::from(self.rooted) << 3
            | u8::from(self.tampering) << 4
    }

    /// From the bits of a token.
    pub fn from_bits(b: u8) -> Self {
        DeviceSignals {
            headless: b & 1 != 0,
            webdriver: b & 2 != 0,
            emulator: b & 4 != 0,
            rooted: b & 8 != 0,
            tampering: b & 16 != 0,
        }
    }
}

/// The answer of `POST /v1/devices`.
#[derive(Debug, Clone)]
pub struct DeviceIssued {
    /// `dev_…`
    pub device_id: String,
    /// The signed token to pass with risk events.
    pub device_token: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
    /// What the signals say.
    pub signals: DeviceSignals,
    /// `stored` (the SDK's id), `matched` (fingerprint match-back) or `new`.
    pub matched_by: &'static str,
}

/// Errors of device identity.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A bad field of the document or the key; the first is its name.
    #[error("{1}")]
    Invalid(&'static str, String),
    /// No such tenant or key.
    #[error("{0} not found")]
    NotFound(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
