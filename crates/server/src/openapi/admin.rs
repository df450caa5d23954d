//! Schemas of the admin endpoints (tenants, keys, suppliers, stats, rules)
//! and of the operations endpoints.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `test` (sandbox suppliers only) or `live`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyModeCode {
    /// `pk_test_…`.
    Test,
    /// `pk_live_…`.
    Live,
}

/// A tenant.
#[derive(Serialize, ToSchema)]
pub struct TenantRecord {
    /// `ten_…`.
    id: String,
    /// Display name, unique.
    name: String,
    /// When it was created.
    created_at: chrono::DateTime<chrono::Utc>,
}

/// An API key as listed: its hint, never the key.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyRecord {
    /// `key_…`.
    id: String,
    /// Owner.
    tenant_id: String,
    /// Test or live.
    mode: KeyModeCode,
    /// The first characters of the key.
    hint: String,
    /// When it was created.
    created_at: chrono::DateTime<chrono::Utc>,
    /// When it was revoked.
    revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Answer of `GET /v1/admin/tenants`.
#[derive(Serialize, ToSchema)]
pub struct TenantsOut {
    /// Every tenant.
    tenants: Vec<TenantRecord>,
}

/// Answer of `GET /v1/admin/tenants/{id}/keys`.
#[derive(Serialize, ToSchema)]
pub struct KeysOut {
    /// Every key of the tenant, revoked ones too.
    keys: Vec<ApiKeyRecord>,
}

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

/// A partial supplier update: absent fields are kept.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"weight": 50, "enabled": true}))]
pub struct SupplierPatchIn {
    /// New capabilities.
    capabilities: Option<Vec<CapabilityCode>>,
    /// New carriers.
    carriers: Option<Vec<String>>,
    /// New weight.
    weight: Option<u32>,
    /// New price.
    price_milli: Option<u32>,
    /// Enable or disable.
    enabled: Option<bool>,
    /// New options (replaces the object).
    options: Option<BTreeMap<String, Value>>,
    /// New credentials (replaces them).
    credentials: Option<BTreeMap<String, Value>>,
}

/// Breaker and health of a supplier on this node.
#[derive(Serialize, ToSchema)]
pub struct RouteHealthOut {
    /// `closed`, `open` or `half_open`.
    breaker: String,
    /// Calls in the window.
    window_calls: u64,
    /// Smoothed success rate of the window, `(successes + 1) / (calls + 2)`;
    /// `null` while the window holds no call.
    success_rate: Option<f64>,
    /// Median latency over the window (ms).
    p50_ms: f64,
}

/// A supplier as shown: never its credentials.
#[derive(Serialize, ToSchema)]
pub struct SupplierOut {
    /// Slug.
    id: String,
    /// Adapter kind.
    kind: String,
    /// Capabilities.
    capabilities: Vec<CapabilityCode>,
    /// Carriers covered.
    carriers: Vec<String>,
    /// Weight.
    weight: u32,
    /// Price per call, milli-yuan.
    price_milli: u32,
    /// Enabled.
    enabled: bool,
    /// Options.
    options: Value,
    /// Whether credentials are stored.
    has_credentials: bool,
    /// Creation time.
    created_at: chrono::DateTime<chrono::Utc>,
    /// Last change.
    updated_at: chrono::DateTime<chrono::Utc>,
    /// Live breaker and health on this node.
    health: Option<RouteHealthOut>,
}

/// Answer of `GET /v1/admin/suppliers`.
#[derive(Serialize, ToSchema)]
pub struct SuppliersOut {
    /// Every supplier.
    suppliers: Vec<SupplierOut>,
}

/// Call figures of one supplier over the window.
#[derive(Serialize, ToSchema)]
pub struct SupplierStatsOut {
    /// Supplier.
    supplier_id: String,
    /// Calls made.
    calls: i64,
    /// Calls answered.
    successes: i64,
    /// Calls failed.
    failures: i64,
    /// Median latency, ms.
    p50_ms: f64,
    /// 95th percentile latency, ms.
    p95_ms: f64,
    /// Money spent, milli-yuan.
    cost_milli: i64,
    /// Live breaker and health on this node.
    health: Option<RouteHealthOut>,
}

/// Calls of one tenant by capability.
#[derive(Serialize, ToSchema)]
pub struct TenantStatsOut {
    /// Tenant.
    tenant_id: String,
    /// Capability code → calls.
    calls: BTreeMap<String, i64>,
}

/// Answer of `GET /v1/admin/stats`.
#[derive(Serialize, ToSchema)]
pub struct StatsOut {
    /// The window in seconds.
    window_s: i64,
    /// Its start.
    since: chrono::DateTime<chrono::Utc>,
    /// Per supplier.
    suppliers: Vec<SupplierStatsOut>,
    /// Per tenant.
    tenants: Vec<TenantStatsOut>,
}

/// Answer of a rules replacement or reload.
#[derive(Serialize, ToSchema)]
pub struct RulesOut {
    /// Rules now in force.
    rules: u64,
    /// `reloaded`.
    status: String,
}

/// Answer of `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    /// `ok`.
    status: String,
    /// Seconds since start.
    uptime_s: u64,
}

/// Answer of `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub struct ReadyOut {
    /// `ready`.
    status: String,
    /// `ok`.
    storage: String,
}

/// Rate limits (requests per second) and daily quotas (calls per UTC day) by
/// capability: `lookup`, `status`, `identity`, `verify`, `risk`. A capability left
/// out takes the default; `null` is unlimited; a quota of 0 shuts it off.
#[derive(Serialize, ToSchema)]
pub struct LimitSettingsDoc {
    /// Requests per second by capability.
    #[schema(example = json!({"lookup": 50, "identity": 10, "verify": 20, "risk": 200}))]
    rate_per_s: BTreeMap<String, Option<u32>>,
    /// Calls per UTC day by capability.
    #[schema(example = json!({"identity": 1000}))]
    daily_quota: BTreeMap<String, Option<u64>>,
}

/// A tenant's or key's limits: as stored, and in effect per capability.
#[derive(Serialize, ToSchema)]
pub struct LimitsOut {
    /// The tenant or key.
    id: String,
    /// Stored rate limits.
    rate_per_s: BTreeMap<String, Option<u32>>,
    /// Stored daily quotas.
    daily_quota: BTreeMap<String, Option<u64>>,
    /// What applies to every capability (`null`: unlimited).
    effective: LimitSettingsDoc,
}

/// Usage per tenant, capability and day, with totals.
#[derive(Serialize, ToSchema)]
pub struct UsageOut {
    /// The tenant asked for; `null`: every tenant.
    tenant: Option<String>,
    /// First day (UTC).
    from: chrono::NaiveDate,
    /// Last day (UTC).
    to: chrono::NaiveDate,
    /// `calls`, `billable_calls`, `supplier_calls`, `cost_milli` over the range.
    totals: BTreeMap<String, i64>,
    /// One row per tenant, capability and day.
    #[schema(value_type = Vec<Object>)]
    usage: Vec<Value>,
}

/// A page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    /// Entries: id, at, actor, action, target, request_id, before, after (secrets redacted).
    #[schema(value_type = Vec<Object>)]
    entries: Vec<Value>,
    /// Pass as `before` for the next page; `null` on the last.
    next_before: Option<i64>,
}
