//! [`RedisNonces`]: a nonce is accepted once across every node sharing the
//! Redis and the prefix, its key is hashed and expires, and an outage is an
//! error (the front then refuses the request).

use std::time::Duration;

use phoneguard_core::secrets::HashKey;
use phoneguard_core::suppliers::access_keys::NonceLedger;
use phoneguard_counters::RedisNonces;

use crate::{clean, fresh_prefix, keys_under, server};

fn ledger(url: &str, prefix: &str) -> RedisNonces {
    RedisNonces::new(
        url,
        prefix,
        HashKey::new(*b"test hash secret, 32 bytes long!"),
    )
    .unwrap()
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_nonce_is_accepted_once_by_every_node_of_a_deployment() {
    let url = server();
    let prefix = fresh_prefix("nonces");
    // Two nodes: two ledgers on one Redis and prefix.
    let (a, b) = (ledger(&url, &prefix), ledger(&url, &prefix));
    let ttl = Duration::from_secs(1800);
    assert_eq!(a.first_use("PGAKone\u{1f}n-1", ttl).await, Ok(true));
    assert_eq!(b.first_use("PGAKone\u{1f}n-1", ttl).await, Ok(false));
    assert_eq!(a.first_use("PGAKone\u{1f}n-1", ttl).await, Ok(false));
    // Another pair's nonce, another deployment's prefix: independent.
    assert_eq!(b.first_use("PGAKtwo\u{1f}n-1", ttl).await, Ok(true));
    let other_prefix = fresh_prefix("nonces");
    let other = ledger(&url, &other_prefix);
    assert_eq!(other.first_use("PGAKone\u{1f}n-1", ttl).await, Ok(true));
    clean(&url, &other_prefix).await;
    // Keys are hashed and expire with the window.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys = keys_under(&url, &prefix).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    for k in &keys {
        assert!(!k.contains("PGAK") && !k.contains("n-1"), "{k}");
    }
    assert!(keys.contains(&a.key("PGAKone\u{1f}n-1")), "{keys:?}");
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(a.key("PGAKone\u{1f}n-1"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl_ms > 1_700_000 && ttl_ms <= 1_800_000, "{ttl_ms}");
    clean(&url, &prefix).await;
}

#[tokio::test]
async fn an_unreachable_redis_is_an_error_not_a_first_use() {
    let n = ledger("redis://127.0.0.1:1/", "pgtest:nonces:down");
    assert!(
        n.first_use("PGAKone\u{1f}n-1", Duration::from_secs(60))
            .await
            .is_err()
    );
}
