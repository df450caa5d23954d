//! Redis counters against the in-memory ones: the same random op sequences give
//! the same readings; every key has a TTL and a deployment's prefix; an outage
//! is an error, and the counters work again when Redis is back.
//!
//! Runs when `PHONEGUARD_TEST_REDIS_URL` is set (CI: `scripts/ci-services.sh`)
//! and prints a skip line otherwise. Each test uses a key prefix of its own.

mod equivalence;
mod keys;
mod limiter;
mod outage;
mod verify_state;

use phoneguard_core::secrets::{HashKey, random_base62};
use phoneguard_counters::{RedisCountersConfig, RedisRiskCounters};

/// The Redis named by `PHONEGUARD_TEST_REDIS_URL`, or `None` after a skip line.
pub fn server(test: &str) -> Option<String> {
    match std::env::var("PHONEGUARD_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("PHONEGUARD_TEST_REDIS_URL unset: {test} skipped");
            None
        }
    }
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
