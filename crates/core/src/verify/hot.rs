//! Short-lived verification state that decides outcomes on every node: send
//! admission (the send limits), the failover mappings of the verification-code
//! patent, and flash-call caller reservations.
//!
//! [`StoreHotState`], the default, keeps them in the database ([`VerifyStore`]):
//! right for one node, and correct on several nodes sharing PostgreSQL except
//! that send admission counts then inserts (two requests racing on two nodes
//! can both pass the last free slot). The Redis implementation
//! (`phoneguard_counters::RedisVerifyState`) makes admission one atomic script
//! over all limits, and keeps mappings and reservations as keys with TTLs.
//!
//! What the service does when this state is unreachable (Redis down):
//! - send admission fails closed: 503 `storage_unavailable`, no code is sent;
//! - caller reservations fail closed: no flash call without a reserved caller;
//! - failover mappings degrade: reads count as "no supplier excluded", writes
//!   are dropped, each logged and counted in
//!   `phoneguard_verify_hot_state_errors_total{op}`; the code is still sent;
//! - releasing callers degrades: reservations end by their TTL.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::port::{SendRecord, SendScope, VerifyStore};
use crate::store::StoreResult;

/// One send limit: at most `max` sends of `scope` per `window_s` seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendLimit {
    /// Name, as in the 429 (`phone`, `tenant`, `country`, `prefix`, `ip`).
    pub limit: &'static str,
    /// What is counted (within the send's tenant).
    pub scope: SendScope,
    /// Sends allowed in the window.
    pub max: u32,
    /// Window length in seconds.
    pub window_s: u64,
}

/// The first limit a send would pass, and when it frees a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Index into the limits given to [`VerifyHotState::admit_send`].
    pub index: usize,
    /// Seconds until the oldest send of that limit leaves its window (≥ 1).
    pub retry_after: u64,
}

/// Short-lived verification state shared by every node.
#[async_trait]
pub trait VerifyHotState: Send + Sync + 'static {
    /// Takes a slot of every limit for `rec`, or none and the refusal when one
    /// is full.
    async fn admit_send(
        &self,
        rec: &SendRecord,
        limits: &[SendLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Refusal>>;

    /// Records a supplier against a terminal key until `expires_at`.
    async fn add_failover(
        &self,
        tenant_id: &str,
        key: &str,
        supplier_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Suppliers recorded against a terminal key and not expired at `now`.
    async fn failover_suppliers(
        &self,
        tenant_id: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>>;
    /// Deletes every mapping of a terminal key.
    async fn clear_failover(&self, tenant_id: &str, key: &str) -> StoreResult<()>;

    /// Reserves a caller number of a pool for a verification until `until`;
    /// `false` when another verification holds it.
    async fn reserve_caller(
        &self,
        pool: &str,
        caller: &str,
        verification_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Frees the caller numbers a verification holds.
    async fn release_callers(&self, verification_id: &str) -> StoreResult<()>;

    /// A verification was approved: its terminal's mappings and its callers go.
    /// (The database does both in the approving transaction, so the default
    /// does nothing.)
    async fn on_approved(
        &self,
        tenant_id: &str,
        key: &str,
        verification_id: &str,
    ) -> StoreResult<()> {
        let _ = (tenant_id, key, verification_id);
        Ok(())
    }
}

/// [`VerifyHotState`] in the database: limits counted from `verify_sends`
/// (written with the verification), mappings and reservations as rows.
pub struct StoreHotState(pub Arc<dyn VerifyStore>);

#[async_trait]
impl VerifyHotState for StoreHotState {
    async fn admit_send(
        &self,
        rec: &SendRecord,
        limits: &[SendLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Refusal>> {
        for (index, l) in limits.iter().enumerate() {
            let window = Duration::seconds(l.window_s as i64);
            let n = self
                .0
                .count_sends(&rec.tenant_id, &l.scope, now - window)
                .await?;
            if n.count >= i64::from(l.max) {
                let free_at = n.oldest.unwrap_or(now) + window;
                let retry_after = (free_at - now).num_seconds().max(1) as u64;
                return Ok(Some(Refusal { index, retry_after }));
            }
        }
        Ok(None)
    }

    async fn add_failover(
        &self,
        tenant_id: &str,
        key: &str,
        supplier_id: &str,
        expires_at: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.0
            .add_failover(tenant_id, key, supplier_id, expires_at)
            .await
    }

    async fn failover_suppliers(
        &self,
        tenant_id: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        self.0.failover_suppliers(tenant_id, key, now).await
    }

    async fn clear_failover(&self, tenant_id: &str, key: &str) -> StoreResult<()> {
        self.0.clear_failover(tenant_id, key).await
    }

    async fn reserve_caller(
        &self,
        pool: &str,
        caller: &str,
        verification_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.0
            .reserve_caller(pool, caller, verification_id, until, now)
            .await
    }

    async fn release_callers(&self, verification_id: &str) -> StoreResult<()> {
        self.0.release_callers(verification_id).await
    }
}

/// The service's use of the hot state, with the failure policy of the module docs.
impl super::service::VerifyService {
    fn hot_state_error(op: &'static str, e: &crate::store::StoreError) {
        metrics::counter!("phoneguard_verify_hot_state_errors_total", "op" => op).increment(1);
        tracing::warn!(error = %e, op, "verification hot state unavailable; degrading");
    }

    /// Suppliers excluded for a terminal; none when the state is unreachable.
    pub(crate) async fn excluded_suppliers(
        &self,
        tenant_id: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        match self.hot.failover_suppliers(tenant_id, key, now).await {
            Ok(v) => v,
            Err(e) => {
                Self::hot_state_error("failover_read", &e);
                Vec::new()
            }
        }
    }

    /// Excludes a supplier for a terminal until `until` (dropped when unreachable).
    pub(crate) async fn exclude_supplier(
        &self,
        tenant_id: &str,
        key: &str,
        supplier_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        if let Err(e) = self
            .hot
            .add_failover(tenant_id, key, supplier_id, until, now)
            .await
        {
            Self::hot_state_error("failover_write", &e);
        }
    }

    /// Forgets a terminal's exclusions (every supplier was tried).
    pub(crate) async fn clear_exclusions(&self, tenant_id: &str, key: &str) {
        if let Err(e) = self.hot.clear_failover(tenant_id, key).await {
            Self::hot_state_error("failover_clear", &e);
        }
    }

    /// Forgets an approved verification's exclusions and callers (left to
    /// their TTLs when unreachable).
    pub(crate) async fn forget_approved(&self, v: &super::model::Verification) {
        if let Err(e) = self
            .hot
            .on_approved(&v.tenant_id, &v.terminal_key, &v.id)
            .await
        {
            Self::hot_state_error("approved_clear", &e);
        }
    }

    /// Frees a verification's caller numbers (left to their TTL when unreachable).
    pub(crate) async fn free_callers(&self, verification_id: &str) {
        if let Err(e) = self.hot.release_callers(verification_id).await {
            Self::hot_state_error("callers_release", &e);
        }
    }
}
