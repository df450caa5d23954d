//! Operating the gateway: stored limit settings, usage per tenant × capability
//! × day, and the audit log of admin changes — the [`OpsStore`] port and the
//! services around it.

pub mod audit;
pub mod usage;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

pub use audit::{AuditEntry, redact};
pub use usage::{SupplierCost, UsageDelta, UsageMeter, UsageRow, usage_report};

use crate::limits::LimitSettings;
use crate::model::ApiKey;
use crate::store::StoreResult;

/// Durable state of operations.
#[async_trait]
pub trait OpsStore: Send + Sync + 'static {
    /// One API key by id, revoked or not.
    async fn get_api_key(&self, id: &str) -> StoreResult<Option<ApiKey>>;

    /// The limit settings of a tenant or key (by id).
    async fn get_limits(&self, subject_id: &str) -> StoreResult<Option<LimitSettings>>;
    /// Inserts or replaces the limit settings of a tenant or key.
    async fn put_limits(
        &self,
        subject_id: &str,
        settings: &LimitSettings,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Adds calls to the daily usage counters (one transaction; rows that exist
    /// are incremented).
    async fn add_usage(&self, deltas: &[UsageDelta]) -> StoreResult<()>;
    /// Usage counters of the days `from..=to`, of one tenant or of all, ordered
    /// by tenant, day and capability.
    async fn usage(
        &self,
        tenant_id: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<UsageDelta>>;
    /// Successful supplier calls and their prices over the days `from..=to`, by
    /// tenant, UTC day and supplier capability (from the call records).
    async fn supplier_costs(
        &self,
        tenant_id: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<SupplierCost>>;

    /// Appends an audit entry (its `id` is assigned by the store).
    async fn insert_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The newest `limit` entries with an id below `before` (all when `None`), newest first.
    async fn list_audit(&self, limit: i64, before: Option<i64>) -> StoreResult<Vec<AuditEntry>>;
}

/// Unix milliseconds of the start of a UTC day.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp_millis()
}

/// The UTC day of a count of days since 1970-01-01.
pub fn day_of_index(index: i64) -> NaiveDate {
    NaiveDate::default() + chrono::Days::new(u64::try_from(index).unwrap_or(0))
}
