//! What is limited and how much: capabilities, per-subject settings and the
//! `[limits]` defaults of the configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// What a call is billed and limited as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiCapability {
    /// Number lookups answered locally (location, carrier).
    Lookup,
    /// Number facts asked of suppliers (line status, tenure, portability).
    Status,
    /// Identity checks (运营商二要素 / 三要素).
    Identity,
    /// Verification codes sent (SMS, voice, flash call).
    Verify,
    /// Risk assessments (registration, login).
    Risk,
    /// Carrier one-tap exchanges (本机号码校验 / 一键登录).
    CarrierAuth,
}

impl ApiCapability {
    /// Every capability, in a fixed order.
    pub const ALL: [ApiCapability; 6] = [
        ApiCapability::Lookup,
        ApiCapability::Status,
        ApiCapability::Identity,
        ApiCapability::Verify,
        ApiCapability::Risk,
        ApiCapability::CarrierAuth,
    ];

    /// The code used in the API, the configuration and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiCapability::Lookup => "lookup",
            ApiCapability::Status => "status",
            ApiCapability::Identity => "identity",
            ApiCapability::Verify => "verify",
            ApiCapability::Risk => "risk",
            ApiCapability::CarrierAuth => "carrier_auth",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The capability a supplier call is billed under (`status`, `tenure` and
    /// `portability` calls serve `status`; `sms`, `voice` and `flash_call`
    /// serve `verify`).
    pub fn of_supplier_capability(code: &str) -> Option<Self> {
        match code {
            "status" | "tenure" | "portability" => Some(ApiCapability::Status),
            "identity" => Some(ApiCapability::Identity),
            "carrier_auth" => Some(ApiCapability::CarrierAuth),
            "sms" | "voice" | "flash_call" => Some(ApiCapability::Verify),
            _ => None,
        }
    }
}

/// Most requests per second a limit may allow.
pub const MAX_RATE_PER_S: u32 = 1_000_000;
/// Largest daily quota.
pub const MAX_DAILY_QUOTA: u64 = 1_000_000_000_000;

/// Limits of one tenant or one key, by capability. A capability left out falls
/// back to the default (tenants: the `[limits]` configuration; keys: none); a
/// `null` value means unlimited even when a default is set. A daily quota of 0
/// shuts a capability off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Requests per second (GCRA, burst of one second's worth).
    #[serde(default)]
    pub rate_per_s: BTreeMap<ApiCapability, Option<u32>>,
    /// Calls per UTC day.
    #[serde(default)]
    pub daily_quota: BTreeMap<ApiCapability, Option<u64>>,
}

impl LimitSettings {
    /// Checks every value; the error names the field, e.g. `rate_per_s.lookup`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (cap, rate) in &self.rate_per_s {
            if let Some(r) = rate
                && !(1..=MAX_RATE_PER_S).contains(r)
            {
                return Err((
                    format!("rate_per_s.{}", cap.as_str()),
                    format!(
                        "{r} is out of range; expected 1 to {MAX_RATE_PER_S} requests per second, or null for unlimited"
                    ),
                ));
            }
        }
        for (cap, quota) in &self.daily_quota {
            if let Some(q) = quota
                && *q > MAX_DAILY_QUOTA
            {
                return Err((
                    format!("daily_quota.{}", cap.as_str()),
                    format!(
                        "{q} is out of range; expected 0 to {MAX_DAILY_QUOTA} calls a day, or null for unlimited"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The rate of `cap`: `Some(Some(r))` set, `Some(None)` unlimited, `None` not set.
    pub fn rate(&self, cap: ApiCapability) -> Option<Option<u32>> {
        self.rate_per_s.get(&cap).copied()
    }

    /// The quota of `cap`, as [`LimitSettings::rate`].
    pub fn quota(&self, cap: ApiCapability) -> Option<Option<u64>> {
        self.daily_quota.get(&cap).copied()
    }
}

/// `[limits]`: the defaults every tenant gets unless its own settings say
/// otherwise. Empty (the shipped default): unlimited.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Default requests per second per tenant, by capability.
    #[serde(default)]
    pub rate_per_s: BTreeMap<ApiCapability, u32>,
    /// Default calls per UTC day per tenant, by capability.
    #[serde(default)]
    pub daily_quota: BTreeMap<ApiCapability, u64>,
    /// Seconds a tenant's or key's settings are trusted before they are read
    /// again (a change on this node applies at once).
    #[serde(default = "d_settings_ttl_s")]
    pub settings_ttl_s: u64,
}

fn d_settings_ttl_s() -> u64 {
    30
}

impl LimitsConfig {
    /// Checks the `[limits]` keys, naming the one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let as_settings = LimitSettings {
            rate_per_s: self
                .rate_per_s
                .iter()
                .map(|(c, r)| (*c, Some(*r)))
                .collect(),
            daily_quota: self
                .daily_quota
                .iter()
                .map(|(c, q)| (*c, Some(*q)))
                .collect(),
        };
        if let Err((field, message)) = as_settings.validate() {
            return Err(ConfigError {
                key: format!("limits.{field}"),
                message,
            });
        }
        if self.settings_ttl_s > 3600 {
            return Err(ConfigError {
                key: "limits.settings_ttl_s".into(),
                message: format!(
                    "{} is out of range; expected 0 to 3600",
                    self.settings_ttl_s
                ),
            });
        }
        Ok(())
    }
}
