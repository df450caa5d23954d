//! The [`DashboardStore`] port: admin sessions of the monitoring pages (shared
//! by every node through the database) and the read-only queries the pages need.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::risk::RiskReason;
use crate::store::StoreResult;

/// `[dashboard]`: admin sessions of `/dashboard`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Seconds a session lasts after login.
    pub session_ttl_s: u64,
    /// Mark the session cookie `Secure` (set it when served over HTTPS).
    pub secure_cookie: bool,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            session_ttl_s: 8 * 3600,
            secure_cookie: false,
        }
    }
}

/// One admin session: only the hash of its cookie value is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardSession {
    /// SHA-256 (hex) of the random session id in the cookie.
    pub id_hash: String,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// After this the session is refused.
    pub expires_at: DateTime<Utc>,
}

/// One supplier call, without number or caller (`supplier_calls`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPoint {
    /// When it started.
    pub at: DateTime<Utc>,
    /// Who paid.
    pub tenant_id: String,
    /// Which supplier.
    pub supplier_id: String,
    /// Capability code.
    pub capability: String,
    /// `ok` or a failure label (`cancelled`: a hedged call that lost the race).
    pub outcome: String,
    /// Wall time in microseconds.
    pub latency_us: i64,
}

/// Verifications of one channel since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFunnel {
    /// `sms`, `voice`, `flash_call`, `auto`.
    pub channel: String,
    /// Verifications started.
    pub started: i64,
    /// Of those, with a delivery receipt saying delivered.
    pub delivered: i64,
    /// Of those, approved.
    pub approved: i64,
}

/// Delivery attempts through one supplier on one channel since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierFunnel {
    /// Supplier.
    pub supplier_id: String,
    /// Channel of the attempts.
    pub channel: String,
    /// Attempts sent.
    pub sent: i64,
    /// Attempts with a receipt saying delivered.
    pub delivered: i64,
    /// Attempts whose code was entered (the verification was approved with it).
    pub entered: i64,
    /// Attempts that were a failover: sent through another supplier than the
    /// attempt before them of the same verification.
    pub failovers: i64,
}

/// Codes sent and entered through one supplier for one carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierConversion {
    /// Supplier.
    pub supplier_id: String,
    /// Carrier code (`''` when unknown).
    pub carrier: String,
    /// Attempts sent.
    pub sent: i64,
    /// Of those, entered.
    pub entered: i64,
}

/// One risk result as the pages use it (hashes only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskPoint {
    /// When it was assessed.
    pub at: DateTime<Utc>,
    /// 0–4.
    pub level: u8,
    /// Rules that fired.
    pub reasons: Vec<RiskReason>,
    /// Keyed hash of the device, if any.
    pub device_hash: Option<String>,
}

/// A keyed hash and how often it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashCount {
    /// Keyed hash (never the value).
    pub hash: String,
    /// Occurrences.
    pub count: i64,
}

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
