//! [`SendWindows`]: send admission in process memory, for a single node (the
//! embedded SQLite default).

use std::collections::{HashMap, VecDeque};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::port::{Refusal, SendAdmission, SendLimit, SendRecord, SendScope};
use crate::store::error::{StoreError, StoreResult};

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
            _ => Err(StoreError::Unavailable(
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
    use std::sync::Arc;

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
            matches!(err, StoreError::Unavailable(ref m) if m.contains("send limits")),
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
