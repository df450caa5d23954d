//! The ports: [`Supplier`] (one upstream account that answers queries) and
//! [`SupplierStore`] (supplier configs, sandbox subscribers, call records).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::answers::{
    Capability, IdentityAnswer, LineStatus, PortabilityAnswer, StatusAnswer, TenureAnswer,
};
use super::error::SupplierError;
use super::identity::IdentityQuery;
use crate::store::error::StoreResult;

/// The number a query is about, and who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The tenant paying for the call (sandbox answers are per tenant).
    pub tenant_id: String,
    /// E.164, e.g. `+8613800138000`.
    pub e164: String,
    /// National number, e.g. `13800138000`.
    pub national: String,
    /// Carrier of the number's segment (`cmcc`…), when known.
    pub carrier: Option<String>,
}

/// One question to one supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// What is asked.
    pub capability: Capability,
    /// About which number.
    pub subject: Subject,
    /// Name and ID number, for [`Capability::Identity`].
    pub identity: Option<IdentityQuery>,
}

/// A supplier's answer, by capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Line status.
    Status(StatusAnswer),
    /// Tenure.
    Tenure(TenureAnswer),
    /// Portability.
    Portability(PortabilityAnswer),
    /// Identity match.
    Identity(IdentityAnswer),
}

impl Answer {
    /// The capability this answers.
    pub fn capability(&self) -> Capability {
        match self {
            Answer::Status(_) => Capability::Status,
            Answer::Tenure(_) => Capability::Tenure,
            Answer::Portability(_) => Capability::Portability,
            Answer::Identity(_) => Capability::Identity,
        }
    }
}

/// One account at one upstream vendor, as an adapter.
#[async_trait]
pub trait Supplier: Send + Sync + 'static {
    /// Asks the vendor. The router bounds the call with its deadline; an adapter
    /// also bounds its own I/O.
    async fn call(&self, query: &Query) -> Result<Answer, SupplierError>;
}

/// A supplier as stored: credentials only as an encrypted blob.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplierRecord {
    /// Slug.
    pub id: String,
    /// Adapter kind.
    pub kind: String,
    /// What it answers.
    pub capabilities: Vec<Capability>,
    /// Carrier codes covered; empty: every number.
    pub carriers: Vec<String>,
    /// Relative share of traffic.
    pub weight: u32,
    /// Price per call in milli-yuan.
    pub price_milli: u32,
    /// Whether the router may call it.
    pub enabled: bool,
    /// Kind-specific options.
    pub options: Value,
    /// AES-256-GCM blob of the credentials (see [`super::crypto`]).
    pub credentials: Option<Vec<u8>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What sandbox suppliers answer for one number of one tenant. Names and ID
/// numbers are kept only as keyed hashes (HMAC of their MD5 and SHA-256 forms).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SandboxSubscriber {
    /// Owner.
    pub tenant_id: String,
    /// Keyed hash of the E.164 number.
    pub number_hash: String,
    /// Line status; `None`: normal.
    pub status: Option<LineStatus>,
    /// Keyed hash of the name's MD5 form.
    pub name_md5_mac: Option<String>,
    /// Keyed hash of the name's SHA-256 form.
    pub name_sha256_mac: Option<String>,
    /// Keyed hash of the ID number's MD5 form.
    pub id_md5_mac: Option<String>,
    /// Keyed hash of the ID number's SHA-256 form.
    pub id_sha256_mac: Option<String>,
    /// Months in network; `None`: 24+.
    pub tenure_months: Option<u32>,
    /// Carrier it was ported to, if any.
    pub ported_to: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for SandboxSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxSubscriber")
            .field("tenant_id", &self.tenant_id)
            .field("status", &self.status)
            .field("tenure_months", &self.tenure_months)
            .field("ported_to", &self.ported_to)
            .finish_non_exhaustive()
    }
}

/// `ok` or the failure label of [`SupplierError::outcome`].
pub type CallOutcome = &'static str;

/// One supplier call: no number, name or ID number, ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// When the call started.
    pub at: DateTime<Utc>,
    /// Who paid.
    pub tenant_id: String,
    /// Which supplier.
    pub supplier_id: String,
    /// What was asked.
    pub capability: Capability,
    /// `ok`, `timeout`, `transport`, `http_status`, `business`, `bad_response`,
    /// `unsupported` or `cancelled` (a hedged call that lost the race).
    pub outcome: String,
    /// Wall time of the call in microseconds.
    pub latency_us: i64,
    /// Price in milli-yuan (charged on success only).
    pub price_milli: i64,
}

/// Per-supplier figures over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallStats {
    /// Supplier.
    pub supplier_id: String,
    /// Calls made.
    pub calls: i64,
    /// Calls answered.
    pub successes: i64,
    /// Calls failed.
    pub failures: i64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile latency in milliseconds.
    pub p95_ms: f64,
    /// Money spent, milli-yuan.
    pub cost_milli: i64,
}

/// Calls of one tenant for one capability over a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantCapabilityCount {
    /// Tenant.
    pub tenant_id: String,
    /// Capability code.
    pub capability: String,
    /// Calls made (each supplier attempt counts).
    pub calls: i64,
}

/// Durable supplier state.
#[async_trait]
pub trait SupplierStore: Send + Sync + 'static {
    /// Every supplier, by id.
    async fn list_suppliers(&self) -> StoreResult<Vec<SupplierRecord>>;
    /// One supplier.
    async fn get_supplier(&self, id: &str) -> StoreResult<Option<SupplierRecord>>;
    /// Inserts a supplier; `Conflict` when the id is taken.
    async fn insert_supplier(&self, record: &SupplierRecord) -> StoreResult<()>;
    /// Replaces a supplier; `false` when there is none with that id.
    async fn update_supplier(&self, record: &SupplierRecord) -> StoreResult<bool>;
    /// Deletes a supplier; `false` when there is none.
    async fn delete_supplier(&self, id: &str) -> StoreResult<bool>;

    /// Inserts or replaces a sandbox subscriber.
    async fn put_sandbox_subscriber(&self, sub: &SandboxSubscriber) -> StoreResult<()>;
    /// The sandbox subscriber of a tenant's number (by keyed hash).
    async fn get_sandbox_subscriber(
        &self,
        tenant_id: &str,
        number_hash: &str,
    ) -> StoreResult<Option<SandboxSubscriber>>;

    /// Appends call records (one transaction).
    async fn insert_call_records(&self, records: &[CallRecord]) -> StoreResult<()>;
    /// Per-supplier figures of calls since `since`.
    async fn supplier_stats(&self, since: DateTime<Utc>) -> StoreResult<Vec<CallStats>>;
    /// Calls per tenant and capability since `since`.
    async fn tenant_stats(&self, since: DateTime<Utc>) -> StoreResult<Vec<TenantCapabilityCount>>;
}
