//! Defaults and validation of the `[verify]` keys beyond API.md's five.
//!
//! The fields live on [`crate::config::VerifyConfig`]; their serde defaults and
//! range checks are here, so every key is documented once in `default.toml`.

use std::collections::BTreeMap;

use crate::config::{ConfigError, VerifyConfig};

/// `tenant_sends_per_minute`: codes one tenant may send per minute.
pub fn d_tenant_sends_per_minute() -> u32 {
    600
}
/// `ip_sends_per_minute`: codes sent for one end-user IP per minute.
pub fn d_ip_sends_per_minute() -> u32 {
    10
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
    ConfigError {
        key: format!("verify.{key}"),
        message: message.into(),
    }
}

fn range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    if v < lo || v > hi {
        return Err(err(
            key,
            format!("{v} is out of range; expected {lo} to {hi}"),
        ));
    }
    Ok(())
}

/// Template keys that may be overridden.
pub const TEMPLATE_KEYS: &[&str] = &["sms.zh-CN", "sms.en", "voice.zh-CN", "voice.en"];

/// Checks the extra `[verify]` keys, naming the key at fault.
pub fn validate(v: &VerifyConfig) -> Result<(), ConfigError> {
    range(
        "tenant_sends_per_minute",
        v.tenant_sends_per_minute,
        1,
        1_000_000,
    )?;
    range("ip_sends_per_minute", v.ip_sends_per_minute, 1, 100_000)?;
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
        super::code::check_template(k, t).map_err(|m| err(&format!("templates.{k}"), m))?;
    }
    Ok(())
}
