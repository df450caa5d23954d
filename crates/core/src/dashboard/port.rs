//! The [`DashboardStore`] port: admin sessions of the monitoring pages (shared
//! by every node through the database) and the read-only queries the pages need.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{
    CallPoint, CarrierConversion, ChannelFunnel, DashboardSession, HashCount, RiskPoint,
    SupplierFunnel,
};
use crate::store::error::StoreResult;

/// Sessions and the monitoring queries.
#[async_trait]
pub trait DashboardStore: Send + Sync + 'static {
    /// Stores a new session and deletes expired ones.
    async fn insert_dashboard_session(&self, s: &DashboardSession) -> StoreResult<()>;
    /// The unexpired session with this hash.
    async fn get_dashboard_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DashboardSession>>;
    /// Deletes a session (logout); no error when there is none.
    async fn delete_dashboard_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Deletes every session (the admin token changed); returns how many there were.
    async fn delete_all_dashboard_sessions(&self) -> StoreResult<u64>;

    /// Supplier calls since `since`, newest first, at most `limit`.
    async fn call_points(&self, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<CallPoint>>;
    /// Verifications started since `since`, by channel.
    async fn funnel_by_channel(&self, since: DateTime<Utc>) -> StoreResult<Vec<ChannelFunnel>>;
    /// Delivery attempts since `since`, by supplier and channel.
    async fn funnel_by_supplier(&self, since: DateTime<Utc>) -> StoreResult<Vec<SupplierFunnel>>;
    /// Attempts sent and codes entered since `since`, by supplier and carrier.
    async fn conversion_by_carrier(
        &self,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<CarrierConversion>>;
    /// Risk results since `since`, newest first, at most `limit`.
    async fn risk_points(&self, since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<RiskPoint>>;
    /// End-user IP hashes with the most verification sends since `since`.
    async fn top_send_ips(&self, since: DateTime<Utc>, n: i64) -> StoreResult<Vec<HashCount>>;
}
