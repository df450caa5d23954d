//! The ports of the risk area: velocity counters and durable results.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_risk::{CounterOp, CounterValues};

use super::model::{DeviceSummary, RiskRecord};
use crate::store::error::StoreResult;

/// Hot velocity counters of the risk engine: in process or shared (Redis).
#[async_trait]
pub trait RiskCounters: Send + Sync + 'static {
    /// Records and reads `ops` at `now` (Unix seconds), with the semantics
    /// documented in `phoneguard_risk::counters`.
    async fn apply(&self, ops: &[CounterOp], now: u64) -> Result<CounterValues, CountersError>;
}

/// The counters could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("counters unavailable: {0}")]
pub struct CountersError(pub String);

/// Durable risk results.
#[async_trait]
pub trait RiskStore: Send + Sync + 'static {
    /// Stores a result.
    async fn insert_risk_result(&self, r: &RiskRecord) -> StoreResult<()>;
    /// A tenant's unexpired result by token.
    async fn get_risk_result(
        &self,
        tenant_id: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<RiskRecord>>;
    /// A tenant's unexpired results of one device, summarised.
    async fn device_summary(
        &self,
        tenant_id: &str,
        device_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DeviceSummary>>;
    /// Deletes expired results; returns how many.
    async fn purge_risk_results(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}
