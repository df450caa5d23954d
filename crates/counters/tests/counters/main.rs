//! Redis counters against the in-memory ones: the same random op sequences give
//! the same readings; every key has a TTL and a deployment's prefix; an outage
//! is an error, and the counters work again when Redis is back.
//!
//! Every test needs the Redis named by `PHONEGUARD_TEST_REDIS_URL`, so each is
//! `#[ignore]`d: start one with `eval "$(scripts/ci-services.sh)"` and run
//! `cargo test --workspace -- --include-ignored` (as CI does). Each test uses a
//! key prefix of its own.

mod equivalence;
mod keys;
mod limiter;
mod nonces;
mod outage;
mod verify_state;

use phoneguard_core::secrets::{HashKey, random_base62};
use phoneguard_counters::{RedisCountersConfig, RedisRiskCounters};

/// The Redis named by `PHONEGUARD_TEST_REDIS_URL`; a test asked to run without
/// one fails and says how to start one.
pub fn server() -> String {
    std::env::var("PHONEGUARD_TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "PHONEGUARD_TEST_REDIS_URL is unset: start Redis with \
                 eval \"$(scripts/ci-services.sh)\""
            )
        })
}

/// A prefix no other test uses.
pub fn fresh_prefix(label: &str) -> String {
    format!("pgtest:{label}:{}", random_base62(10))
}

/// Counters at `url` under `prefix`.
pub fn counters(url: &str, prefix: &str) -> RedisRiskCounters {
    let config = RedisCountersConfig {
        prefix: prefix.to_string(),
        ..RedisCountersConfig::default()
    };
    RedisRiskCounters::new(
        url,
        HashKey::new(*b"test hash secret, 32 bytes long!"),
        config,
    )
    .unwrap()
}

/// The keys under `prefix`, and deletes them.
pub async fn keys_under(url: &str, prefix: &str) -> Vec<String> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    keys
}

/// Deletes the keys under `prefix`.
pub async fn clean(url: &str, prefix: &str) {
    let keys = keys_under(url, prefix).await;
    if keys.is_empty() {
        return;
    }
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();
}
