//! What the monitoring pages read: sessions, calls, funnels, risk points.

use chrono::{DateTime, Utc};

use crate::risk::RiskReason;

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
