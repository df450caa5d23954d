//! The `[router]` and `[suppliers]` sections of the configuration.

use serde::Deserialize;

use super::config::SupplierConfig;
use crate::config::ConfigError;

/// `[router]`: how suppliers are chosen and how long they may take.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouterConfig {
    /// Time a query may take across every supplier tried (ms).
    pub deadline_ms: u64,
    /// Time one supplier call may take before the next supplier is tried (ms).
    pub attempt_timeout_ms: u64,
    /// Status lookups: start a second supplier when the first has not answered
    /// after this long (ms); 0 turns hedging off.
    pub hedge_after_ms: u64,
    /// Consecutive failures that open a supplier's circuit.
    pub breaker_failures: u32,
    /// Failure ratio over the health window that opens the circuit (0–1).
    pub breaker_failure_ratio: f64,
    /// Calls in the window before the ratio rule applies.
    pub breaker_min_calls: u32,
    /// Cool-down before a half-open probe (ms).
    pub breaker_open_ms: u64,
    /// Calls in each supplier's moving health window.
    pub health_window: u32,
    /// How strongly a cheaper supplier is preferred (0: price ignored, 1: share ∝ 1/price).
    pub price_weight: f64,
    /// Seconds a status answer is reused for the same tenant, key mode and number
    /// (0: never — the default, as many vendors forbid caching).
    pub status_cache_ttl_s: u64,
    /// Most answers the status cache holds (per process).
    pub status_cache_capacity: u64,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            deadline_ms: 3000,
            attempt_timeout_ms: 1000,
            hedge_after_ms: 0,
            breaker_failures: 5,
            breaker_failure_ratio: 0.5,
            breaker_min_calls: 20,
            breaker_open_ms: 10_000,
            health_window: 100,
            price_weight: 0.5,
            status_cache_ttl_s: 0,
            status_cache_capacity: 100_000,
        }
    }
}

/// `[suppliers]`: suppliers written into the database once each (by id) at
/// start; after that they are managed with the admin API.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SuppliersConfig {
    /// `[[suppliers.seed]]` entries.
    pub seed: Vec<SupplierConfig>,
}

fn err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(key, message)
}

impl RouterConfig {
    /// Checks ranges, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let ms = |k: &str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(err(
                    &format!("router.{k}"),
                    format!("{v} is out of range; expected {lo} to {hi}"),
                ))
            }
        };
        ms("deadline_ms", self.deadline_ms, 10, 60_000)?;
        ms(
            "attempt_timeout_ms",
            self.attempt_timeout_ms,
            10,
            self.deadline_ms.max(10),
        )?;
        ms("hedge_after_ms", self.hedge_after_ms, 0, self.deadline_ms)?;
        ms(
            "breaker_failures",
            u64::from(self.breaker_failures),
            1,
            1000,
        )?;
        ms(
            "breaker_min_calls",
            u64::from(self.breaker_min_calls),
            1,
            100_000,
        )?;
        ms("breaker_open_ms", self.breaker_open_ms, 10, 3_600_000)?;
        ms("health_window", u64::from(self.health_window), 1, 10_000)?;
        ms("status_cache_ttl_s", self.status_cache_ttl_s, 0, 86_400)?;
        ms(
            "status_cache_capacity",
            self.status_cache_capacity,
            1,
            10_000_000,
        )?;
        if !(0.0..=1.0).contains(&self.breaker_failure_ratio) || self.breaker_failure_ratio == 0.0 {
            return Err(err(
                "router.breaker_failure_ratio",
                "expected more than 0 and at most 1",
            ));
        }
        if !(0.0..=1.0).contains(&self.price_weight) {
            return Err(err("router.price_weight", "expected 0 to 1"));
        }
        Ok(())
    }
}

impl SuppliersConfig {
    /// Checks every seed, naming `suppliers.seed[i].field`; `has_master_key` says
    /// whether credentials can be sealed.
    pub fn validate(&self, has_master_key: bool) -> Result<(), ConfigError> {
        let mut ids = std::collections::HashSet::new();
        for (i, s) in self.seed.iter().enumerate() {
            s.validate()
                .map_err(|(field, m)| err(&format!("suppliers.seed[{i}].{field}"), m))?;
            if !ids.insert(s.id.as_str()) {
                return Err(err(
                    &format!("suppliers.seed[{i}].id"),
                    format!("{:?} appears twice", s.id),
                ));
            }
            if s.credentials.is_some() && !has_master_key {
                return Err(err(
                    "master_key",
                    format!(
                        "supplier {:?} has credentials, which are encrypted under the master key: \
                         set PHONEGUARD_MASTER_KEY (32 bytes as 64 hex characters or base64)",
                        s.id
                    ),
                ));
            }
        }
        Ok(())
    }
}
