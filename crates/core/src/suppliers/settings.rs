//! The `[router]` and `[suppliers]` sections of the configuration, and a
//! supplier's configuration (one account at one upstream vendor: a
//! `[[suppliers]]` entry, or the body of `POST /v1/admin/suppliers`).

use serde::Deserialize;
use serde_json::Value;

use super::model::Capability;
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
    #[serde(deserialize_with = "crate::config::decimal")]
    pub breaker_failure_ratio: f64,
    /// Calls in the window before the ratio rule applies.
    pub breaker_min_calls: u32,
    /// Cool-down before a half-open probe (ms).
    pub breaker_open_ms: u64,
    /// Calls in each supplier's moving health window.
    pub health_window: u32,
    /// How strongly a cheaper supplier is preferred (0: price ignored, 1: share ∝ 1/price).
    #[serde(deserialize_with = "crate::config::decimal")]
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

/// Kinds of supplier this build knows.
pub const KINDS: &[&str] = &[
    "sandbox",
    "aliyun_market_status",
    "http",
    "aliyun_sms",
    "tencent_sms",
    "twilio",
    "aliyun_dypns",
];

/// Carrier codes a supplier may cover.
pub const CARRIERS: &[&str] = &["cmcc", "cucc", "ctcc", "cbn"];

/// A supplier to create (`POST /v1/admin/suppliers`, and the `[[suppliers]]`
/// of the config file); `credentials` are write-only and encrypted at rest
/// (in clear only in memory, never echoed).
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SupplierIn,
    example = json!({"id": "sms-a", "kind": "sandbox", "capabilities": ["sms"], "weight": 10,
        "carriers": ["cmcc", "cucc", "ctcc", "cbn"], "enabled": true,
        "options": {"drop_rate": 0.0, "fail_rate": 0.0, "latency_ms": 0}})))]
pub struct SupplierConfig {
    /// Slug: 1–64 of `a-z 0-9 - _`, starting with a letter or digit.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9][a-z0-9_-]{0,63}$"))]
    pub id: String,
    /// `sandbox`, `aliyun_market_status`, `http`, `aliyun_sms`, `tencent_sms`,
    /// `twilio` or `aliyun_dypns`.
    pub kind: String,
    /// What it answers.
    pub capabilities: Vec<Capability>,
    /// Carrier codes it covers (default: all four).
    #[serde(default = "all_carriers")]
    pub carriers: Vec<String>,
    /// Relative share of traffic, 1–10,000 (default 10).
    #[serde(default = "default_weight")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10_000))]
    pub weight: u32,
    /// Price per call in milli-yuan (厘, 1/1000 CNY).
    #[serde(default)]
    pub price_milli: u32,
    /// Disabled suppliers are kept but never called (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Kind-specific options (JSON object).
    #[serde(default = "empty_object")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: Value,
    /// Kind-specific secrets (JSON object), encrypted at rest.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub credentials: Option<Value>,
}

impl std::fmt::Debug for SupplierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupplierConfig")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("capabilities", &self.capabilities)
            .field("carriers", &self.carriers)
            .field("weight", &self.weight)
            .field("price_milli", &self.price_milli)
            .field("enabled", &self.enabled)
            .field("options", &self.options)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

fn all_carriers() -> Vec<String> {
    CARRIERS.iter().map(|c| c.to_string()).collect()
}
fn default_weight() -> u32 {
    10
}
fn yes() -> bool {
    true
}
fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// A partial update (`PATCH /v1/admin/suppliers/{id}`): absent fields are kept;
/// `options` is a JSON merge patch (RFC 7396), `credentials` are replaced whole.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SupplierPatchIn,
    example = json!({"weight": 50, "enabled": true})))]
pub struct SupplierPatch {
    /// New capabilities.
    pub capabilities: Option<Vec<Capability>>,
    /// New carriers.
    pub carriers: Option<Vec<String>>,
    /// New weight.
    pub weight: Option<u32>,
    /// New price.
    pub price_milli: Option<u32>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// Changes to the options, as a JSON merge patch (RFC 7396): members given
    /// are set (objects merged recursively), a member given as `null` is
    /// removed, members not given are kept.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub options: Option<Value>,
    /// New credentials: replace the stored ones as a whole (they are
    /// write-only, so a merge could not be checked).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub credentials: Option<Value>,
}

impl SupplierPatch {
    /// Applies the patch to a configuration.
    pub fn apply(self, c: &mut SupplierConfig) {
        if let Some(v) = self.capabilities {
            c.capabilities = v;
        }
        if let Some(v) = self.carriers {
            c.carriers = v;
        }
        if let Some(v) = self.weight {
            c.weight = v;
        }
        if let Some(v) = self.price_milli {
            c.price_milli = v;
        }
        if let Some(v) = self.enabled {
            c.enabled = v;
        }
        if let Some(v) = self.options {
            merge_patch(&mut c.options, v);
        }
        if let Some(v) = self.credentials {
            c.credentials = Some(v);
        }
    }
}

/// Applies a JSON merge patch (RFC 7396) to `target`: an object patch merges
/// member by member (recursively), `null` removes a member, anything else
/// replaces the target.
pub fn merge_patch(target: &mut Value, patch: Value) {
    let Value::Object(members) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let Value::Object(t) = target else {
        unreachable!("made an object above")
    };
    for (k, v) in members {
        if v.is_null() {
            t.remove(&k);
        } else {
            merge_patch(t.entry(k).or_insert(Value::Null), v);
        }
    }
}

/// Checks a supplier id: 1–64 of `a-z 0-9 - _`, starting with a letter or digit.
pub fn validate_supplier_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && id.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a valid id: 1 to 64 of a-z, 0-9, - and _, starting with a letter or digit",
            id.chars().take(70).collect::<String>()
        ))
    }
}

impl SupplierConfig {
    /// Checks every field; the error names the field (`field`, message).
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        validate_supplier_id(&self.id).map_err(|m| ("id", m))?;
        if !KINDS.contains(&self.kind.as_str()) {
            return Err((
                "kind",
                format!("{:?} is not one of {}", self.kind, KINDS.join(", ")),
            ));
        }
        if self.capabilities.is_empty() {
            return Err(("capabilities", "at least one capability is needed".into()));
        }
        if let Some(c) = self
            .carriers
            .iter()
            .find(|c| !CARRIERS.contains(&c.as_str()))
        {
            return Err((
                "carriers",
                format!("{c:?} is not one of {}", CARRIERS.join(", ")),
            ));
        }
        if !(1..=10_000).contains(&self.weight) {
            return Err(("weight", "must be 1 to 10000".into()));
        }
        if !self.options.is_object() {
            return Err(("options", "must be a JSON object".into()));
        }
        if self.credentials.as_ref().is_some_and(|c| !c.is_object()) {
            return Err(("credentials", "must be a JSON object".into()));
        }
        Ok(())
    }

    /// Whether it covers a carrier (an empty list covers everything; an unknown
    /// carrier is covered only by an empty list).
    pub fn covers(&self, carrier: Option<&str>) -> bool {
        self.carriers.is_empty() || carrier.is_some_and(|c| self.carriers.iter().any(|x| x == c))
    }

    /// Whether it may answer a query of `cap` about a number of `carrier`: a
    /// carrier token whose number is not known yet (one-tap login) may go to
    /// any `carrier_auth` supplier; otherwise [`Self::covers`].
    pub fn covers_query(&self, cap: Capability, carrier: Option<&str>) -> bool {
        (cap == Capability::CarrierAuth && carrier.is_none()) || self.covers(carrier)
    }

    /// Whether a key of `mode` may reach it: a test key only `sandbox`
    /// suppliers, a live key every supplier but those (a live answer is never
    /// made up by the sandbox, whatever else is enabled).
    pub fn serves(&self, mode: crate::KeyMode) -> bool {
        (self.kind == "sandbox") == (mode == crate::KeyMode::Test)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supplier_ids_are_slugs() {
        for good in ["sandbox", "sms-a", "aliyun_1", "9x"] {
            assert!(validate_supplier_id(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "A", "a b", "a/b", &"a".repeat(65)] {
            assert!(validate_supplier_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_are_merge_patched_as_rfc_7396_says() {
        use serde_json::json;
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}, "keep": 1});
        merge_patch(
            &mut t,
            json!({"a": "z", "c": {"f": null, "h": [1]}, "new": {"x": null}}),
        );
        assert_eq!(
            t,
            json!({"a": "z", "c": {"d": "e", "h": [1]}, "keep": 1, "new": {}})
        );
        merge_patch(&mut t, json!({"c": "flat"}));
        assert_eq!(t["c"], "flat");
        merge_patch(&mut t, json!({"c": {"again": true}}));
        assert_eq!(t["c"], json!({"again": true}));
    }

    #[test]
    fn debug_never_shows_credentials() {
        let c: SupplierConfig = serde_json::from_value(serde_json::json!({
            "id": "x", "kind": "http", "capabilities": ["status"],
            "credentials": {"appcode": "very-secret"}
        }))
        .unwrap();
        assert!(c.validate().is_ok());
        assert!(!format!("{c:?}").contains("very-secret"));
        assert_eq!(c.carriers.len(), 4);
    }
}
