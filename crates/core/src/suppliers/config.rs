//! Supplier configuration: one account at one upstream vendor.

use serde::Deserialize;
use serde_json::Value;

use super::answers::Capability;

/// Kinds of supplier this build knows.
pub const KINDS: &[&str] = &[
    "sandbox",
    "aliyun_market_status",
    "http",
    "aliyun_sms",
    "tencent_sms",
    "twilio",
];

/// Carrier codes a supplier may cover.
pub const CARRIERS: &[&str] = &["cmcc", "cucc", "ctcc", "cbn"];

/// A supplier as configured (credentials in clear: only in memory, never echoed).
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplierConfig {
    /// Slug: 1–64 of `a-z 0-9 - _`, starting with a letter or digit.
    pub id: String,
    /// `sandbox`, `aliyun_market_status` or `http`.
    pub kind: String,
    /// What it answers.
    pub capabilities: Vec<Capability>,
    /// Carrier codes it covers; empty means every number.
    #[serde(default = "all_carriers")]
    pub carriers: Vec<String>,
    /// Relative share of traffic (1–10,000).
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Price per call in milli-yuan (厘, 1/1000 CNY).
    #[serde(default)]
    pub price_milli: u32,
    /// Disabled suppliers are kept but never called.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Kind-specific options (JSON object).
    #[serde(default = "empty_object")]
    pub options: Value,
    /// Kind-specific secrets (JSON object), encrypted at rest.
    #[serde(default)]
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

/// A partial update (`PATCH /v1/admin/suppliers/{id}`): absent fields are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// New options (replaces the object).
    pub options: Option<Value>,
    /// New credentials (replaces them).
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
            c.options = v;
        }
        if let Some(v) = self.credentials {
            c.credentials = Some(v);
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
