//! The Redis limiter against the in-process one: the same GCRA and quota
//! answers; two nodes on one Redis share a quota exactly; keys carry the
//! deployment's prefix and a TTL; a Redis that is down is an error, fast.

use chrono::NaiveDate;
use phoneguard_core::limits::{Limiter, MemoryLimiter, Rate};
use phoneguard_counters::{RedisLimiter, RedisLimiterConfig};

use crate::{clean, fresh_prefix, keys_under, server};

fn limiter(url: &str, prefix: &str) -> RedisLimiter {
    RedisLimiter::new(
        url,
        RedisLimiterConfig {
            prefix: prefix.to_string(),
            ..RedisLimiterConfig::default()
        },
    )
    .unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

/// A burst of three at one a second: a fresh bucket lets three through, then
/// refuses with a wait; every quota call fits or takes nothing.
async fn scenario(l: &dyn Limiter) {
    let rate = Rate { per_s: 1, burst: 3 };
    let first = l.check_rate("k:key_a:lookup", rate, 1).await.unwrap();
    assert!(first.allowed);
    assert_eq!(first.remaining, 2);
    assert_eq!(first.reset_s, 1);
    let mut admitted = 1;
    let refused = loop {
        let d = l.check_rate("k:key_a:lookup", rate, 1).await.unwrap();
        if !d.allowed {
            break d;
        }
        admitted += 1;
        assert!(admitted < 100, "a burst of 3 at 1/s never ran out");
    };
    assert!(admitted >= 3, "the whole burst goes through first");
    assert_eq!(refused.remaining, 0);
    assert!(refused.retry_after_s >= 1);
    // Another bucket is untouched; more than the burst at once never fits.
    assert!(
        l.check_rate("k:key_b:lookup", rate, 1)
            .await
            .unwrap()
            .allowed
    );
    assert!(
        !l.check_rate("k:key_c:lookup", rate, 4)
            .await
            .unwrap()
            .allowed
    );

    let q = |n| l.take_quota("t:ten_a:identity", day(1), 5, n);
    assert_eq!(
        (q(2).await.unwrap().allowed, q(2).await.unwrap().used),
        (true, 4)
    );
    let over = q(2).await.unwrap();
    assert!(!over.allowed);
    assert_eq!(over.used, 4, "a refused take takes nothing");
    assert!(q(1).await.unwrap().allowed);
    assert!(!q(1).await.unwrap().allowed);
    l.give_back_quota("t:ten_a:identity", day(1), 2)
        .await
        .unwrap();
    assert_eq!(q(2).await.unwrap().used, 5);
    let next_day = l
        .take_quota("t:ten_a:identity", day(2), 5, 5)
        .await
        .unwrap();
    assert!(next_day.allowed, "each day starts over");
}

#[tokio::test]
async fn the_memory_limiter_follows_the_scenario() {
    scenario(&MemoryLimiter::default()).await;
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn the_redis_limiter_follows_the_same_scenario() {
    let url = server();
    let prefix = fresh_prefix("limiter");
    scenario(&limiter(&url, &prefix)).await;
    clean(&url, &prefix).await;
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn two_nodes_on_one_redis_share_a_quota_exactly() {
    let url = server();
    let prefix = fresh_prefix("quota");
    let (a, b) = (limiter(&url, &prefix), limiter(&url, &prefix));
    let mut tasks = vec![];
    for l in [a, b] {
        let l = std::sync::Arc::new(l);
        for _ in 0..20 {
            let l = l.clone();
            tasks.push(tokio::spawn(async move {
                l.take_quota("t:ten_x:verify", day(3), 25, 1)
                    .await
                    .unwrap()
                    .allowed
            }));
        }
    }
    let mut taken = 0;
    for t in tasks {
        taken += usize::from(t.await.unwrap());
    }
    assert_eq!(taken, 25, "40 tries at a quota of 25");
    clean(&url, &prefix).await;
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn every_limiter_key_has_the_prefix_and_a_ttl() {
    let url = server();
    let prefix = fresh_prefix("lkeys");
    let l = limiter(&url, &prefix);
    // Five of ten at one a second: the bucket is full again (and its key
    // gone) only after 5 s, far longer than a loaded machine takes to
    // reach the checks below.
    l.check_rate(
        "t:ten_k:risk",
        Rate {
            per_s: 1,
            burst: 10,
        },
        5,
    )
    .await
    .unwrap();
    l.take_quota("t:ten_k:risk", day(4), 10, 1).await.unwrap();
    // Giving back, to a counter that is there or to one that is not, makes no
    // key and keeps the TTL.
    l.give_back_quota("t:ten_k:risk", day(4), 5).await.unwrap();
    l.give_back_quota("t:ten_k:risk", day(9), 1).await.unwrap();
    let keys = keys_under(&url, &prefix).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for k in &keys {
        assert!(k.starts_with(&format!("{prefix}:")));
        let ttl: i64 = redis::cmd("PTTL")
            .arg(k)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(ttl > 0 && ttl <= 2 * 86_400_000, "{k}: {ttl}");
    }
    assert!(keys.contains(&format!("{prefix}:quota:t:ten_k:risk:20260304")));
    clean(&url, &prefix).await;
}

async fn get_and_pttl(url: &str, key: &str) -> (Option<i64>, i64) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let value: Option<i64> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap();
    (value, ttl)
}

/// A give back only lowers a counter that still exists, never below 0, and
/// keeps its TTL: one on an expired (or never taken) day makes no key, so no
/// key without a TTL and no negative count that would let the day take more.
#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn giving_back_quota_makes_no_key_and_never_goes_below_zero() {
    let url = server();
    let prefix = fresh_prefix("giveback");
    let l = limiter(&url, &prefix);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();

    // Never taken: nothing to give back to.
    l.give_back_quota("t:ten_g:verify", day(6), 3)
        .await
        .unwrap();
    assert_eq!(keys_under(&url, &prefix).await, Vec::<String>::new());

    // Taken, then expired before the give back: stays gone.
    let expired = l.quota_key("t:ten_g:verify", day(7));
    l.take_quota("t:ten_g:verify", day(7), 5, 2).await.unwrap();
    let _: i64 = redis::cmd("PEXPIRE")
        .arg(&expired)
        .arg(1)
        .query_async(&mut conn)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    l.give_back_quota("t:ten_g:verify", day(7), 2)
        .await
        .unwrap();
    assert_eq!(get_and_pttl(&url, &expired).await, (None, -2));

    // Giving back more than was taken stops at 0 and keeps the TTL.
    let live = l.quota_key("t:ten_g:verify", day(8));
    l.take_quota("t:ten_g:verify", day(8), 5, 2).await.unwrap();
    let _: i64 = redis::cmd("PEXPIRE")
        .arg(&live)
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    l.give_back_quota("t:ten_g:verify", day(8), 5)
        .await
        .unwrap();
    let (used, ttl) = get_and_pttl(&url, &live).await;
    assert_eq!(used, Some(0));
    assert!(ttl > 0 && ttl <= 60_000, "TTL kept: {ttl}");
    let full = l.take_quota("t:ten_g:verify", day(8), 5, 5).await.unwrap();
    assert!(full.allowed);
    assert_eq!(full.used, 5, "the day holds its limit, no more");
    assert!(
        !l.take_quota("t:ten_g:verify", day(8), 5, 1)
            .await
            .unwrap()
            .allowed
    );
    clean(&url, &prefix).await;
}

#[tokio::test]
async fn a_redis_that_is_down_is_an_error_not_a_hang() {
    let free = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let l = limiter(&format!("redis://{addr}"), "pgtest:down");
    assert!(
        l.check_rate("t:x:lookup", Rate { per_s: 1, burst: 1 }, 1)
            .await
            .is_err()
    );
    assert!(l.take_quota("t:x:lookup", day(5), 1, 1).await.is_err());
}
