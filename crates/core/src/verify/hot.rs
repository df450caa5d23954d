//! Short-lived verification state that decides outcomes on every node: send
//! admission (the send limits), the failover mappings of the verification-code
//! patent, and flash-call caller reservations.
//!
//! Two ports: [`SendAdmission`] (the limits) and [`VerifyHotState`] (mappings
//! and reservations). [`StoreHotState`] implements both in the database
//! ([`VerifyStore`]): correct on several nodes sharing PostgreSQL without
//! Redis, except that admission counts then inserts (two requests racing on
//! two nodes can both pass the last free slot), and each count scans its
//! window. [`SendWindows`], for one node on SQLite, is admission in memory. The
//! Redis implementation (`phoneguard_counters::RedisVerifyState`) implements
//! both: admission is one atomic script over all limits, mappings and
//! reservations are keys with TTLs.
//!
//! What the service does when this state is unreachable (Redis down):
//! - send admission fails closed: 503 `storage_unavailable`, no code is sent;
//! - caller reservations fail closed: no flash call without a reserved caller;
//! - failover mappings degrade: reads count as "no supplier excluded", writes
//!   are dropped, each logged and counted in
//!   `phoneguard_verify_hot_state_errors_total{op}`; the code is still sent;
//! - releasing callers degrades: reservations end by their TTL.

use std::collections::{HashMap, VecDeque};
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

/// Send admission: the send limits, checked and taken together.
#[async_trait]
pub trait SendAdmission: Send + Sync + 'static {
    /// Takes a slot of every limit for `rec`, or none and the refusal when one
    /// is full.
    async fn admit_send(
        &self,
        rec: &SendRecord,
        limits: &[SendLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Refusal>>;
}

/// Failover mappings and caller reservations, shared by every node.
#[async_trait]
pub trait VerifyHotState: Send + Sync + 'static {
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

/// [`SendAdmission`] and [`VerifyHotState`] in the database: limits counted
/// from `verify_sends` (written with the verification), mappings and
/// reservations as rows.
pub struct StoreHotState(pub Arc<dyn VerifyStore>);

#[async_trait]
impl SendAdmission for StoreHotState {
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
}

#[async_trait]
impl VerifyHotState for StoreHotState {
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

/// Send windows of one node: `(tenant, scope)` → (window, send times in ms).
type Windows = HashMap<String, (i64, VecDeque<i64>)>;

/// [`SendAdmission`] for a single node (the embedded SQLite default): send
/// windows in process memory, exact and atomic under one lock, O(1) per limit.
/// Counting sends in the database instead costs a scan of every send in each
/// window per start (the tenant and country windows hold every send of the
/// last minute). At start-up the windows are seeded from the recorded sends
/// ([`super::VerifyService::seed_send_windows`]) in the background, and
/// admission waits for that (at most [`SEED_WAIT`], then 503), so a restart
/// forgets no limit and the node is ready before the replay ends.
pub struct SendWindows {
    windows: std::sync::Mutex<Windows>,
    admitted: std::sync::atomic::AtomicU64,
    seeded: tokio::sync::watch::Sender<bool>,
}

/// How long a send waits for the start-up replay before it is refused as
/// unavailable (fail closed).
pub const SEED_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Default for SendWindows {
    /// Windows with nothing to replay: admission is open at once.
    fn default() -> Self {
        SendWindows {
            windows: Default::default(),
            admitted: Default::default(),
            seeded: tokio::sync::watch::Sender::new(true),
        }
    }
}

/// Every this many admissions, windows that emptied are dropped.
const SWEEP_EVERY: u64 = 4_096;

fn scope_key(tenant_id: &str, scope: &SendScope) -> String {
    let (kind, value) = scope.kind_and_value();
    format!("{tenant_id}\u{1f}{kind}\u{1f}{value}")
}

/// A limit's window in ms.
fn window_ms(l: &SendLimit) -> i64 {
    i64::try_from(l.window_s.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Appends a send at `t_ms` to a window, keeping it ordered (the clock may
/// step back between two sends).
fn push_send(w: &mut Windows, key: String, window: i64, t_ms: i64) {
    let (w_ms, sends) = w.entry(key).or_insert_with(|| (window, VecDeque::new()));
    *w_ms = window;
    if sends.back().is_some_and(|&last| last > t_ms) {
        let pos = sends.partition_point(|&t| t <= t_ms);
        sends.insert(pos, t_ms);
    } else {
        sends.push_back(t_ms);
    }
}

impl SendWindows {
    /// Takes a slot of every limit for `tenant_id`, or none and the refusal.
    pub fn admit(
        &self,
        tenant_id: &str,
        limits: &[SendLimit],
        now: DateTime<Utc>,
    ) -> Option<Refusal> {
        let now_ms = now.timestamp_millis();
        let keys: Vec<String> = limits
            .iter()
            .map(|l| scope_key(tenant_id, &l.scope))
            .collect();
        let windows_ms: Vec<i64> = limits.iter().map(window_ms).collect();
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        for (index, ((l, key), &window)) in limits.iter().zip(&keys).zip(&windows_ms).enumerate() {
            let sends = w.get_mut(key).map(|(_, sends)| {
                while sends.front().is_some_and(|&t| t < now_ms - window) {
                    sends.pop_front();
                }
                &*sends
            });
            if sends.map_or(0, VecDeque::len) >= l.max as usize {
                let oldest = sends.and_then(|s| s.front().copied()).unwrap_or(now_ms);
                let free_ms = (oldest + window - now_ms).max(1);
                return Some(Refusal {
                    index,
                    retry_after: u64::try_from(free_ms).unwrap_or(1).div_ceil(1000).max(1),
                });
            }
        }
        for (key, window) in keys.into_iter().zip(windows_ms) {
            push_send(&mut w, key, window, now_ms);
        }
        let n = self
            .admitted
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % SWEEP_EVERY == SWEEP_EVERY - 1 {
            w.retain(|_, (window, sends)| sends.back().is_some_and(|&t| t >= now_ms - *window));
        }
        None
    }
}

impl SendWindows {
    /// Windows that admit nothing until [`Self::mark_seeded`].
    pub fn unseeded() -> Self {
        let w = SendWindows::default();
        w.seeded.send_replace(false);
        w
    }

    /// The replay of recorded sends is done: admission opens.
    pub fn mark_seeded(&self) {
        self.seeded.send_replace(true);
    }

    /// Waits until the windows are seeded, at most `wait`.
    async fn wait_seeded(&self, wait: std::time::Duration) -> StoreResult<()> {
        if *self.seeded.borrow() {
            return Ok(());
        }
        let mut rx = self.seeded.subscribe();
        match tokio::time::timeout(wait, rx.wait_for(|s| *s)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(crate::store::StoreError::Unavailable(
                "send limits are still being read from the database after a restart".into(),
            )),
        }
    }

    /// Forgets every window (a replay that failed half-way starts over).
    pub fn clear(&self) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Counts a send made at `at` against every limit whose window still holds
    /// it at `now`, without checking them (start-up replay of recorded sends,
    /// oldest first).
    pub fn record(
        &self,
        tenant_id: &str,
        limits: &[SendLimit],
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let (at_ms, now_ms) = (at.timestamp_millis(), now.timestamp_millis());
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        for l in limits {
            let window = window_ms(l);
            if at_ms >= now_ms.saturating_sub(window) {
                push_send(&mut w, scope_key(tenant_id, &l.scope), window, at_ms);
            }
        }
    }
}

#[async_trait]
impl SendAdmission for SendWindows {
    async fn admit_send(
        &self,
        rec: &SendRecord,
        limits: &[SendLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Refusal>> {
        self.wait_seeded(SEED_WAIT).await?;
        Ok(self.admit(&rec.tenant_id, limits, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(phone: &str) -> SendRecord {
        SendRecord {
            tenant_id: "ten_a".into(),
            at: Utc::now(),
            phone: phone.into(),
            ip_hash: None,
            country: "CN".into(),
            prefix: "CN:1380013".into(),
        }
    }

    fn limits(r: &SendRecord) -> Vec<SendLimit> {
        vec![
            SendLimit {
                limit: "phone",
                scope: SendScope::Phone(r.phone.clone()),
                max: 2,
                window_s: 600,
            },
            SendLimit {
                limit: "tenant",
                scope: SendScope::Tenant,
                max: 3,
                window_s: 60,
            },
        ]
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn local_admission_takes_every_limit_or_none_and_frees_with_the_window() {
        let w = SendWindows::default();
        let (a, b) = (rec("+8613800138000"), rec("+8613900139000"));
        let t = "ten_a";
        assert_eq!(w.admit(t, &limits(&a), at(0)), None);
        assert_eq!(w.admit(t, &limits(&a), at(10)), None);
        assert_eq!(
            w.admit(t, &limits(&a), at(20)),
            Some(Refusal {
                index: 0,
                retry_after: 580
            })
        );
        // The refused send took no tenant slot.
        assert_eq!(w.admit(t, &limits(&b), at(21)), None);
        assert_eq!(
            w.admit(t, &limits(&b), at(22)),
            Some(Refusal {
                index: 1,
                retry_after: 38
            })
        );
        assert_eq!(w.admit(t, &limits(&b), at(61)), None);
        assert_eq!(w.admit(t, &limits(&a), at(601)), None);
        // Another tenant has windows of its own.
        assert_eq!(w.admit("ten_b", &limits(&a), at(601)), None);
    }

    #[test]
    fn replayed_sends_count_as_admitted_ones_and_only_inside_their_windows() {
        let w = SendWindows::default();
        let a = rec("+8613800138000");
        let t = "ten_a";
        // Replayed out of order at 100 s: the send at 0 s is still in the
        // phone window (600 s) but out of the tenant window (60 s).
        w.record(t, &limits(&a), at(90), at(100));
        w.record(t, &limits(&a), at(0), at(100));
        assert_eq!(
            w.admit(t, &limits(&a), at(100)),
            Some(Refusal {
                index: 0,
                retry_after: 500
            })
        );
        // The tenant window holds one send (at 90 s), so two more fit there.
        let b = rec("+8613900139000");
        assert_eq!(w.admit(t, &limits(&b), at(101)), None);
        assert_eq!(w.admit(t, &limits(&b), at(102)), None);
        assert_eq!(
            w.admit(t, &limits(&rec("+8613700137000")), at(103)),
            Some(Refusal {
                index: 1,
                retry_after: 47
            })
        );
        // Once the replayed phone sends leave their window, the phone is free.
        assert_eq!(w.admit(t, &limits(&a), at(691)), None);
    }

    #[test]
    fn clearing_forgets_a_half_done_replay() {
        let w = SendWindows::default();
        let a = rec("+8613800138000");
        w.record("ten_a", &limits(&a), at(0), at(1));
        w.record("ten_a", &limits(&a), at(1), at(1));
        assert!(w.admit("ten_a", &limits(&a), at(2)).is_some());
        w.clear();
        assert_eq!(w.admit("ten_a", &limits(&a), at(2)), None);
    }

    #[tokio::test(start_paused = true)]
    async fn admission_waits_for_the_replay_and_fails_closed_when_it_takes_too_long() {
        let a = rec("+8613800138000");
        let w = Arc::new(SendWindows::unseeded());
        let err = w.admit_send(&a, &limits(&a), at(0)).await.unwrap_err();
        assert!(
            matches!(err, crate::store::StoreError::Unavailable(ref m) if m.contains("send limits")),
            "{err:?}"
        );
        let waiting = tokio::spawn({
            let (w, a) = (w.clone(), a.clone());
            async move { w.admit_send(&a, &limits(&a), at(1)).await }
        });
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        assert!(!waiting.is_finished(), "admission must wait for the replay");
        w.record("ten_a", &limits(&a), at(0), at(1));
        w.mark_seeded();
        assert_eq!(waiting.await.unwrap().unwrap(), None);
        // The replayed send and the waiting one fill the phone's two slots.
        assert_eq!(
            w.admit_send(&a, &limits(&a), at(2)).await.unwrap(),
            Some(Refusal {
                index: 0,
                retry_after: 598
            })
        );
    }

    #[test]
    fn a_zero_limit_refuses_and_emptied_windows_are_swept() {
        let w = SendWindows::default();
        let a = rec("+8613800138000");
        let mut l = limits(&a);
        l[1].max = 0;
        assert_eq!(w.admit("ten_a", &l, at(0)).map(|r| r.index), Some(1));
        for i in 0..SWEEP_EVERY {
            let r = rec(&format!("+86139{:08}", i));
            let mut l = limits(&r);
            l[1].max = u32::MAX;
            assert_eq!(w.admit("ten_a", &l, at(i as i64 / 100)), None);
        }
        // Ten minutes on, the last sweep kept only windows with a send inside them.
        let r = rec("+8613700137000");
        let mut open = limits(&r);
        open[0].max = u32::MAX;
        open[1].max = u32::MAX;
        for _ in 0..SWEEP_EVERY {
            assert_eq!(w.admit("ten_b", &open, at(10_000)), None);
        }
        let kept = w.windows.lock().unwrap().len();
        assert_eq!(kept, 2, "only ten_b's phone and tenant windows are left");
    }
}
