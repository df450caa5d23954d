//! The `[verify]` section of the configuration: its keys, their defaults and
//! their validation (every key is documented once in `default.toml`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::code::check_template;
use crate::config::ConfigError;

/// `[verify]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// Lifetime of a code.
    pub code_ttl_s: u64,
    /// Wrong checks before `max_attempts_reached`.
    pub max_check_attempts: u32,
    /// Minimum seconds between two sends to one verification.
    pub resend_cooldown_s: u64,
    /// Sends to one phone within `send_window_s`.
    pub max_sends_per_phone: u32,
    /// The window of `max_sends_per_phone`.
    pub send_window_s: u64,
    /// Codes one tenant may send per minute.
    #[serde(default = "d_tenant_sends_per_minute")]
    pub tenant_sends_per_minute: u32,
    /// Codes sent for one end-user IP (`ip` of the request) per minute.
    #[serde(default = "d_ip_sends_per_minute")]
    pub ip_sends_per_minute: u32,
    /// Bits of an IPv6 address that name one end user for `ip_sends_per_minute`
    /// (64: a subscriber's /64 counts as one address).
    #[serde(default = "d_ipv6_prefix_len")]
    pub ipv6_prefix_len: u8,
    /// SMS-pumping guard: codes one tenant may send to one country per minute.
    #[serde(default = "d_country_sends_per_minute")]
    pub country_sends_per_minute: u32,
    /// SMS-pumping guard: codes one tenant may send to one 7-digit prefix per hour.
    #[serde(default = "d_prefix_sends_per_hour")]
    pub prefix_sends_per_hour: u32,
    /// Destination countries (ISO 3166) a tenant may send to, unless set per tenant.
    #[serde(default = "d_allowed_countries")]
    pub allowed_countries: Vec<String>,
    /// How long a terminal's excluded suppliers (failover mappings) are kept.
    #[serde(default = "d_failover_ttl_s")]
    pub failover_ttl_s: u64,
    /// How long the app listens for a flash call.
    #[serde(default = "d_flash_call_window_s")]
    pub flash_call_window_s: u64,
    /// Moving window of per supplier × carrier conversion.
    #[serde(default = "d_conversion_window_s")]
    pub conversion_window_s: u64,
    /// Smallest conversion factor a supplier's weight is multiplied by.
    #[serde(default = "d_conversion_floor")]
    #[serde(deserialize_with = "crate::config::decimal")]
    pub conversion_floor: f64,
    /// Conversion assumed for a supplier without traffic.
    #[serde(default = "d_conversion_prior")]
    #[serde(deserialize_with = "crate::config::decimal")]
    pub conversion_prior: f64,
    /// How many sends the prior counts as.
    #[serde(default = "d_conversion_prior_weight")]
    #[serde(deserialize_with = "crate::config::decimal")]
    pub conversion_prior_weight: f64,
    /// App name in message templates.
    #[serde(default = "d_app_name")]
    pub app_name: String,
    /// Template overrides: `sms.zh-CN`, `sms.en`, `voice.zh-CN`, `voice.en`.
    #[serde(default)]
    pub templates: BTreeMap<String, String>,
    /// Messages and calls the sandbox outbox keeps (a ring).
    #[serde(default = "d_outbox_capacity")]
    pub outbox_capacity: usize,
}

/// `tenant_sends_per_minute`: codes one tenant may send per minute.
pub fn d_tenant_sends_per_minute() -> u32 {
    600
}
/// `ip_sends_per_minute`: codes sent for one end-user IP per minute.
pub fn d_ip_sends_per_minute() -> u32 {
    10
}
/// `ipv6_prefix_len`: bits of an IPv6 address counted as one end user.
pub fn d_ipv6_prefix_len() -> u8 {
    64
}
/// `country_sends_per_minute`: codes one tenant may send to one country per minute.
pub fn d_country_sends_per_minute() -> u32 {
    300
}
/// `prefix_sends_per_hour`: codes one tenant may send to one 7-digit prefix per hour.
pub fn d_prefix_sends_per_hour() -> u32 {
    60
}
/// `allowed_countries`: destination countries a tenant may send to unless set per tenant.
pub fn d_allowed_countries() -> Vec<String> {
    vec!["CN".into()]
}
/// `failover_ttl_s`: how long a terminal's excluded suppliers are remembered.
pub fn d_failover_ttl_s() -> u64 {
    86_400
}
/// `flash_call_window_s`: how long the app listens for the flash call.
pub fn d_flash_call_window_s() -> u64 {
    60
}
/// `conversion_window_s`: moving window of the conversion figures.
pub fn d_conversion_window_s() -> u64 {
    86_400
}
/// `conversion_floor`: the smallest conversion factor a supplier can fall to.
pub fn d_conversion_floor() -> f64 {
    0.2
}
/// `conversion_prior`: the conversion assumed for a supplier without traffic.
pub fn d_conversion_prior() -> f64 {
    0.8
}
/// `conversion_prior_weight`: how many sends the prior counts as.
pub fn d_conversion_prior_weight() -> f64 {
    10.0
}
/// `app_name`: the name in message templates.
pub fn d_app_name() -> String {
    "phoneguard".into()
}
/// `outbox_capacity`: messages (and calls) the sandbox outbox keeps.
pub fn d_outbox_capacity() -> usize {
    1000
}

impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig {
            code_ttl_s: 600,
            max_check_attempts: 5,
            resend_cooldown_s: 30,
            max_sends_per_phone: 5,
            send_window_s: 600,
            tenant_sends_per_minute: d_tenant_sends_per_minute(),
            ip_sends_per_minute: d_ip_sends_per_minute(),
            ipv6_prefix_len: d_ipv6_prefix_len(),
            country_sends_per_minute: d_country_sends_per_minute(),
            prefix_sends_per_hour: d_prefix_sends_per_hour(),
            allowed_countries: d_allowed_countries(),
            failover_ttl_s: d_failover_ttl_s(),
            flash_call_window_s: d_flash_call_window_s(),
            conversion_window_s: d_conversion_window_s(),
            conversion_floor: d_conversion_floor(),
            conversion_prior: d_conversion_prior(),
            conversion_prior_weight: d_conversion_prior_weight(),
            app_name: d_app_name(),
            templates: BTreeMap::new(),
            outbox_capacity: d_outbox_capacity(),
        }
    }
}

fn err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(format!("verify.{key}"), message)
}

fn range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    crate::config::range(&format!("verify.{key}"), v, lo, hi)
}

impl VerifyConfig {
    /// Checks every `[verify]` key, naming the one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate(self)
    }
}

/// Checks every `[verify]` key, naming the one at fault.
fn validate(v: &VerifyConfig) -> Result<(), ConfigError> {
    range("code_ttl_s", v.code_ttl_s, 30, 86_400)?;
    range("max_check_attempts", v.max_check_attempts, 1, 20)?;
    range("resend_cooldown_s", v.resend_cooldown_s, 0, 3600)?;
    range("max_sends_per_phone", v.max_sends_per_phone, 1, 1000)?;
    range("send_window_s", v.send_window_s, 60, 86_400)?;
    range(
        "tenant_sends_per_minute",
        v.tenant_sends_per_minute,
        1,
        1_000_000,
    )?;
    range("ip_sends_per_minute", v.ip_sends_per_minute, 1, 100_000)?;
    range("ipv6_prefix_len", v.ipv6_prefix_len, 32, 128)?;
    range(
        "country_sends_per_minute",
        v.country_sends_per_minute,
        1,
        1_000_000,
    )?;
    range(
        "prefix_sends_per_hour",
        v.prefix_sends_per_hour,
        1,
        1_000_000,
    )?;
    range("failover_ttl_s", v.failover_ttl_s, 60, 30 * 86_400)?;
    range("flash_call_window_s", v.flash_call_window_s, 1, 600)?;
    range(
        "conversion_window_s",
        v.conversion_window_s,
        60,
        30 * 86_400,
    )?;
    range("conversion_floor", v.conversion_floor, 0.01, 1.0)?;
    range("conversion_prior", v.conversion_prior, 0.01, 1.0)?;
    range(
        "conversion_prior_weight",
        v.conversion_prior_weight,
        0.0,
        10_000.0,
    )?;
    range("outbox_capacity", v.outbox_capacity, 1, 1_000_000)?;
    if v.app_name.trim().is_empty() || v.app_name.chars().count() > 32 {
        return Err(err("app_name", "must be 1 to 32 characters"));
    }
    if v.allowed_countries.is_empty() {
        return Err(err(
            "allowed_countries",
            "must name at least one country (e.g. [\"CN\"])",
        ));
    }
    if let Some(c) = v
        .allowed_countries
        .iter()
        .find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(err(
            "allowed_countries",
            format!("{c:?} is not an ISO 3166 code such as \"CN\""),
        ));
    }
    for (k, t) in &v.templates {
        check_template(k, t).map_err(|m| err(&format!("templates.{k}"), m))?;
    }
    Ok(())
}
