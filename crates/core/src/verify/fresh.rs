//! A read-through cache in which one caller refreshes an expired entry while
//! the others go on with the value it replaces.
//!
//! A plain time-to-live cache drops an entry at its expiry, and every request
//! that reads the key before the first reload has finished loads it again. On
//! the start path that was hundreds of copies of one aggregate at once: at
//! 2,000 verification pairs/s the carrier's conversion figures expired every
//! 10 s, every start in flight ran the query on the four reader connections,
//! and for 1–2 s no start got through (a p99 of 1.4 s; docs/benchmarks.md,
//! issue 23). Here an expired entry is reloaded by the first caller that
//! sees it; the others are answered with the previous value meanwhile, and
//! never wait for a reload. Only a key that has no value at all (never read,
//! or idle for [`IDLE_FACTOR`] times its time to live) is loaded by whoever
//! asks.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An entry no one has read for this many times the time to live is dropped,
/// so that a key seen once does not keep an old value to be served later.
const IDLE_FACTOR: u32 = 4;

/// Key → value, reloaded after `ttl` by one caller at a time.
pub(crate) struct FreshCache<V> {
    entries: moka::sync::Cache<String, (Instant, V)>,
    ttl: Duration,
    refreshing: Mutex<HashSet<String>>,
}

/// Marks `key` as being reloaded until dropped (also when the reload is
/// cancelled half-way, with its request).
struct Claim<'a> {
    set: &'a Mutex<HashSet<String>>,
    key: &'a str,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        lock(self.set).remove(self.key);
    }
}

fn lock(m: &Mutex<HashSet<String>>) -> std::sync::MutexGuard<'_, HashSet<String>> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<V: Clone + Send + Sync + 'static> FreshCache<V> {
    /// Holds at most `capacity` keys; a value is reloaded `ttl` after it was
    /// loaded.
    pub(crate) fn new(capacity: u64, ttl: Duration) -> Self {
        FreshCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(ttl * IDLE_FACTOR)
                .build(),
            ttl,
            refreshing: Mutex::new(HashSet::new()),
        }
    }

    /// The value of `key`: cached if younger than the time to live; else
    /// `load`ed by this caller, unless another is already reloading it, in
    /// which case the previous value. An error is not cached (the next caller
    /// loads again) and is returned to the caller that loaded.
    pub(crate) async fn get<E>(
        &self,
        key: &str,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let stale = match self.entries.get(key) {
            Some((at, v)) if at.elapsed() < self.ttl => return Ok(v),
            Some((_, v)) => Some(v),
            None => None,
        };
        // A claim is made only by the caller that took the key: one made and
        // dropped by another would take the key from its holder.
        let claimed = lock(&self.refreshing).insert(key.to_string());
        let claim = if claimed {
            Some(Claim {
                set: &self.refreshing,
                key,
            })
        } else {
            None
        };
        if let (None, Some(v)) = (&claim, stale) {
            return Ok(v);
        }
        let v = load.await?;
        self.entries
            .insert(key.to_string(), (Instant::now(), v.clone()));
        drop(claim);
        Ok(v)
    }

    /// Drops `key`'s value: the next read loads it (a change made on this node
    /// is seen at once).
    pub(crate) fn invalidate(&self, key: &str) {
        self.entries.invalidate(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn cache(ttl_ms: u64) -> FreshCache<u32> {
        FreshCache::new(16, Duration::from_millis(ttl_ms))
    }

    #[tokio::test]
    async fn a_fresh_value_is_not_reloaded_and_an_error_is_not_cached() {
        let c = cache(60_000);
        let loads = AtomicUsize::new(0);
        let load = |v: Result<u32, &'static str>| {
            let loads = &loads;
            async move {
                loads.fetch_add(1, Ordering::SeqCst);
                v
            }
        };
        assert_eq!(c.get("k", load(Err("down"))).await, Err("down"));
        assert_eq!(c.get("k", load(Ok(1))).await, Ok(1));
        assert_eq!(c.get("k", load(Ok(2))).await, Ok(1), "fresh: kept");
        assert_eq!(
            loads.load(Ordering::SeqCst),
            2,
            "the fresh value's load never ran"
        );
        c.invalidate("k");
        assert_eq!(
            c.get("k", load(Ok(3))).await,
            Ok(3),
            "invalidated: reloaded"
        );
        assert_eq!(c.get("other", load(Ok(9))).await, Ok(9), "keys are apart");
    }

    #[tokio::test]
    async fn an_expired_value_is_reloaded_by_one_caller_while_the_others_keep_the_old_one() {
        let c = std::sync::Arc::new(cache(20));
        assert_eq!(c.get("k", async { Ok::<_, ()>(1) }).await, Ok(1));
        tokio::time::sleep(Duration::from_millis(30)).await;
        // The first caller after expiry reloads, slowly.
        let (go, wait) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let c = c.clone();
            tokio::spawn(async move {
                c.get("k", async move {
                    wait.await.unwrap();
                    Ok::<_, ()>(2)
                })
                .await
            })
        };
        tokio::task::yield_now().await;
        while lock(&c.refreshing).is_empty() {
            tokio::task::yield_now().await;
        }
        // Meanwhile everyone else gets the old value at once, and their
        // loads are never run.
        let ran = AtomicUsize::new(0);
        for _ in 0..100 {
            let got = c
                .get("k", async {
                    ran.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>(99)
                })
                .await;
            assert_eq!(got, Ok(1));
        }
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        go.send(()).unwrap();
        assert_eq!(slow.await.unwrap(), Ok(2));
        assert_eq!(
            c.get("k", async { Ok::<_, ()>(3) }).await,
            Ok(2),
            "the reload is kept"
        );
        assert!(lock(&c.refreshing).is_empty());
    }

    #[tokio::test]
    async fn a_reload_that_fails_or_is_cancelled_lets_the_next_caller_reload() {
        let c = cache(10);
        assert_eq!(c.get("k", async { Ok::<_, &str>(1) }).await, Ok(1));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(c.get("k", async { Err("down") }).await, Err("down"));
        // Cancelled half-way: the claim goes with the future.
        let pending = c.get("k", std::future::pending::<Result<u32, &str>>());
        assert!(
            tokio::time::timeout(Duration::from_millis(5), pending)
                .await
                .is_err()
        );
        assert_eq!(c.get("k", async { Ok::<_, &str>(2) }).await, Ok(2));
    }
}
