//! The [`OpsStore`] port: stored limit settings, usage counters, audit log.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::model::AuditEntry;
use super::model::{SupplierCost, UsageDelta};
use crate::limits::LimitSettings;
use crate::store::error::StoreResult;
use crate::tenants::ApiKey;

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
