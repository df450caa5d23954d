//! Schemas of admin inputs the handlers read as `core` types (which carry no
//! schema): a supplier to create (its defaults live in `core`), and the
//! capability codes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// What a supplier can be asked.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CapabilityCode {
    /// Line status.
    Status,
    /// Time in network.
    Tenure,
    /// Number portability.
    Portability,
    /// Name + number (+ ID number) match.
    Identity,
    /// SMS delivery.
    Sms,
    /// Voice delivery.
    Voice,
}

/// A supplier to create; `credentials` are write-only and encrypted at rest.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "sms-a", "kind": "sandbox", "capabilities": ["sms"], "weight": 10,
    "carriers": ["cmcc", "cucc", "ctcc", "cbn"], "enabled": true,
    "options": {"drop_rate": 0.0, "fail_rate": 0.0, "latency_ms": 0}}))]
pub struct SupplierIn {
    /// Slug: 1–64 of `a-z 0-9 - _`, starting with a letter or digit.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
    id: String,
    /// `sandbox`, `aliyun_market_status`, `http`, `aliyun_sms`, `tencent_sms`, `twilio`.
    kind: String,
    /// What it answers.
    capabilities: Vec<CapabilityCode>,
    /// Carrier codes it covers (default: all four).
    carriers: Option<Vec<String>>,
    /// Relative share of traffic, 1–10,000 (default 10).
    weight: Option<u32>,
    /// Price per call in milli-yuan.
    price_milli: Option<u32>,
    /// Disabled suppliers are kept but never called (default true).
    enabled: Option<bool>,
    /// Kind-specific options (JSON object).
    options: Option<BTreeMap<String, Value>>,
    /// Kind-specific secrets (JSON object).
    credentials: Option<BTreeMap<String, Value>>,
}
