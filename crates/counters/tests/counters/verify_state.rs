//! The verification hot state on Redis: send admission is all-or-nothing and
//! atomic under concurrency, failover mappings expire, caller reservations are
//! exclusive and released only by their holder, and every key is prefixed,
//! hashed and has a TTL. The same checks run against the database
//! implementation (the blanket impls over every `VerifyStore`, exercised by the HTTP suite).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use phoneguard_core::secrets::HashKey;
use phoneguard_core::verify::{SendAdmission, SendLimit, SendRecord, SendScope, VerifyHotState};
use phoneguard_counters::{RedisVerifyConfig, RedisVerifyState};

use crate::{clean, fresh_prefix, keys_under, server};

fn state(url: &str, prefix: &str) -> RedisVerifyState {
    RedisVerifyState::new(
        url,
        HashKey::new(*b"test hash secret, 32 bytes long!"),
        RedisVerifyConfig {
            prefix: prefix.to_string(),
            ..RedisVerifyConfig::default()
        },
    )
    .unwrap()
}

fn send(phone: &str, ip: Option<&str>) -> SendRecord {
    SendRecord {
        tenant_id: "ten_0123456789abcdef0123456789abcdef".into(),
        at: Utc::now(),
        phone: phone.into(),
        ip_hash: ip.map(str::to_string),
        country: "CN".into(),
        prefix: format!("CN:{}", &phone[3..10]),
    }
}

fn limits(rec: &SendRecord, per_phone: u32, per_tenant: u32) -> Vec<SendLimit> {
    vec![
        SendLimit {
            limit: "phone",
            scope: SendScope::Phone(rec.phone.clone()),
            max: per_phone,
            window_s: 600,
        },
        SendLimit {
            limit: "tenant",
            scope: SendScope::Tenant,
            max: per_tenant,
            window_s: 60,
        },
    ]
}

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn send_admission_takes_every_limit_or_none_and_frees_with_the_window() {
    let url = server();
    let prefix = fresh_prefix("vadmit");
    let s = state(&url, &prefix);
    let a = send("+8613800138000", None);
    let b = send("+8613900139000", None);
    // Phone limit 2 per 600 s, tenant limit 3 per 60 s.
    assert_eq!(
        s.admit_send(&a, &limits(&a, 2, 3), at(0)).await.unwrap(),
        None
    );
    assert_eq!(
        s.admit_send(&a, &limits(&a, 2, 3), at(10)).await.unwrap(),
        None
    );
    let r = s
        .admit_send(&a, &limits(&a, 2, 3), at(20))
        .await
        .unwrap()
        .expect("third send to one phone is refused");
    assert_eq!(r.index, 0, "the phone limit refused");
    assert_eq!(
        r.retry_after, 580,
        "the first send leaves the window at 600 s"
    );
    // The refused send took no tenant slot: b still gets the third one.
    assert_eq!(
        s.admit_send(&b, &limits(&b, 2, 3), at(21)).await.unwrap(),
        None
    );
    let r = s
        .admit_send(&b, &limits(&b, 2, 3), at(22))
        .await
        .unwrap()
        .expect("fourth send of the tenant within a minute is refused");
    assert_eq!((r.index, r.retry_after), (1, 38));
    // A minute after the first send the tenant window has room again, the
    // phone window of a does not.
    assert_eq!(
        s.admit_send(&b, &limits(&b, 2, 3), at(61)).await.unwrap(),
        None
    );
    assert_eq!(
        s.admit_send(&a, &limits(&a, 2, 9), at(599))
            .await
            .unwrap()
            .map(|r| r.index),
        Some(0)
    );
    assert_eq!(
        s.admit_send(&a, &limits(&a, 2, 9), at(601)).await.unwrap(),
        None
    );
    clean(&url, &prefix).await;
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn concurrent_sends_from_many_nodes_never_pass_a_limit() {
    let url = server();
    let prefix = fresh_prefix("vrace");
    // Four "nodes", each its own connection, 50 concurrent sends to one phone
    // with a limit of 5.
    let nodes: Vec<Arc<RedisVerifyState>> =
        (0..4).map(|_| Arc::new(state(&url, &prefix))).collect();
    let rec = send("+8613800138000", Some("iphash"));
    let now = Utc::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let node = nodes[i % nodes.len()].clone();
        let rec = rec.clone();
        tasks.spawn(async move { node.admit_send(&rec, &limits(&rec, 5, 1_000), now).await });
    }
    let mut admitted = 0;
    while let Some(r) = tasks.join_next().await {
        if r.unwrap().unwrap().is_none() {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5);
    clean(&url, &prefix).await;
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn failover_mappings_keep_the_later_expiry_and_end_with_it() {
    let url = server();
    let prefix = fresh_prefix("vfo");
    let s = state(&url, &prefix);
    let (t, k) = ("ten_a", "terminal-key");
    assert!(s.failover_suppliers(t, k, at(0)).await.unwrap().is_empty());
    s.add_failover(t, k, "sms_a", at(100), at(0)).await.unwrap();
    s.add_failover(t, k, "sms_b", at(50), at(0)).await.unwrap();
    // An earlier expiry does not shorten a mapping.
    s.add_failover(t, k, "sms_a", at(10), at(0)).await.unwrap();
    let mut got = s.failover_suppliers(t, k, at(1)).await.unwrap();
    got.sort();
    assert_eq!(got, ["sms_a", "sms_b"]);
    assert_eq!(s.failover_suppliers(t, k, at(60)).await.unwrap(), ["sms_a"]);
    assert!(
        s.failover_suppliers(t, k, at(100))
            .await
            .unwrap()
            .is_empty()
    );
    // Another tenant's terminal with the same key is another mapping.
    assert!(
        s.failover_suppliers("ten_b", k, at(1))
            .await
            .unwrap()
            .is_empty()
    );
    s.clear_failover(t, k).await.unwrap();
    assert!(s.failover_suppliers(t, k, at(1)).await.unwrap().is_empty());
    clean(&url, &prefix).await;
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_caller_is_held_by_one_verification_until_it_releases_or_expires() {
    let url = server();
    let prefix = fresh_prefix("vcr");
    let s = state(&url, &prefix);
    let now = Utc::now();
    let caller = "+8610690000001";
    assert!(
        s.reserve_caller(
            "flash",
            "phone_a",
            caller,
            "ver_one",
            now + Duration::seconds(60),
            now
        )
        .await
        .unwrap()
    );
    assert!(
        !s.reserve_caller(
            "flash",
            "phone_a",
            caller,
            "ver_two",
            now + Duration::seconds(60),
            now
        )
        .await
        .unwrap(),
        "another verification cannot take a held caller"
    );
    assert!(
        s.reserve_caller(
            "flash",
            "phone_a",
            caller,
            "ver_one",
            now + Duration::seconds(60),
            now
        )
        .await
        .unwrap(),
        "its holder may reserve it again"
    );
    // A call to another phone (or of another tenant) does not compete for it.
    assert!(
        s.reserve_caller(
            "flash",
            "phone_b",
            caller,
            "ver_six",
            now + Duration::seconds(60),
            now
        )
        .await
        .unwrap()
    );
    // The same number in another supplier's pool is another caller.
    assert!(
        s.reserve_caller(
            "flash_b",
            "phone_a",
            caller,
            "ver_two",
            now + Duration::seconds(60),
            now
        )
        .await
        .unwrap()
    );
    // A release by a verification that does not hold it frees nothing.
    s.release_callers("ver_three").await.unwrap();
    assert!(
        !s.reserve_caller(
            "flash",
            "phone_a",
            caller,
            "ver_two",
            now + Duration::seconds(60),
            now
        )
        .await
        .unwrap()
    );
    s.release_callers("ver_one").await.unwrap();
    assert!(
        s.reserve_caller(
            "flash",
            "phone_a",
            caller,
            "ver_two",
            now + Duration::seconds(60),
            now
        )
        .await
        .unwrap(),
        "released"
    );
    // A reservation ends by itself.
    let soon = Utc::now();
    assert!(
        s.reserve_caller(
            "flash",
            "phone_a",
            "+8610690000002",
            "ver_four",
            soon + Duration::milliseconds(150),
            soon
        )
        .await
        .unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let later = Utc::now();
    assert!(
        s.reserve_caller(
            "flash",
            "phone_a",
            "+8610690000002",
            "ver_five",
            later + Duration::seconds(60),
            later
        )
        .await
        .unwrap(),
        "expired"
    );
    clean(&url, &prefix).await;
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn every_verify_key_is_prefixed_hashed_and_expires() {
    let url = server();
    let prefix = fresh_prefix("vkeys");
    let s = state(&url, &prefix);
    let now = Utc::now();
    let rec = send("+8613800138000", Some("198.51.100.23"));
    let mut all = limits(&rec, 5, 10);
    all.push(SendLimit {
        limit: "ip",
        scope: SendScope::Ip("198.51.100.23".into()),
        max: 5,
        window_s: 60,
    });
    all.push(SendLimit {
        limit: "prefix",
        scope: SendScope::Prefix(rec.prefix.clone()),
        max: 5,
        window_s: 3600,
    });
    assert_eq!(s.admit_send(&rec, &all, now).await.unwrap(), None);
    s.add_failover(
        &rec.tenant_id,
        "terminal",
        "sms_a",
        now + Duration::seconds(600),
        now,
    )
    .await
    .unwrap();
    s.reserve_caller(
        "flash",
        "phone",
        "+8610690000001",
        "ver_x",
        now + Duration::seconds(60),
        now,
    )
    .await
    .unwrap();
    let keys = keys_under(&url, &prefix).await;
    // 4 limits, 1 mapping, 1 caller, 1 caller index.
    assert_eq!(keys.len(), 7, "{keys:?}");
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for key in &keys {
        assert!(key.starts_with(&format!("{prefix}:")), "{key}");
        for clear in ["13800138000", "198.51.100.23", "0001", &rec.tenant_id] {
            assert!(!key.contains(clear), "{key} holds {clear} in clear");
        }
        let ttl: i64 = redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(ttl > 0, "{key} has no TTL ({ttl})");
        if key.contains(":vsl:") {
            assert!(
                key.contains(":vsl:{t:"),
                "limits of a tenant share a hash tag: {key}"
            );
        }
    }
    clean(&url, &prefix).await;
}

#[tokio::test]
async fn with_redis_unreachable_every_operation_is_a_storage_error() {
    let s = state("redis://127.0.0.1:1", &fresh_prefix("vdown"));
    let now = Utc::now();
    let rec = send("+8613800138000", None);
    let e = s
        .admit_send(&rec, &limits(&rec, 5, 5), now)
        .await
        .unwrap_err();
    assert!(
        matches!(e, phoneguard_core::StoreError::Unavailable(_)),
        "{e}"
    );
    assert!(matches!(
        s.failover_suppliers("t", "k", now).await,
        Err(phoneguard_core::StoreError::Unavailable(_))
    ));
    assert!(matches!(
        s.reserve_caller("p", "k", "c", "v", now + Duration::seconds(5), now)
            .await,
        Err(phoneguard_core::StoreError::Unavailable(_))
    ));
}

/// An approval forgets the terminal's exclusions and frees the callers the
/// verification held (one round trip when it holds none), and only those.
#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn an_approval_clears_exclusions_and_frees_its_callers() {
    let url = server();
    let prefix = fresh_prefix("vap");
    let s = state(&url, &prefix);
    let (t, k) = ("ten_a", "terminal_1");
    let now = Utc::now();
    let until = now + Duration::seconds(60);
    s.add_failover(t, k, "sms_a", until, now).await.unwrap();
    s.add_failover(t, "terminal_2", "sms_a", until, now)
        .await
        .unwrap();
    assert!(
        s.reserve_caller("flash", "phone_a", "+8610690000001", "ver_one", until, now)
            .await
            .unwrap()
    );
    s.on_approved(t, k, "ver_one").await.unwrap();
    assert!(s.failover_suppliers(t, k, now).await.unwrap().is_empty());
    assert_eq!(
        s.failover_suppliers(t, "terminal_2", now).await.unwrap(),
        ["sms_a"],
        "another terminal keeps its exclusions"
    );
    assert!(
        s.reserve_caller("flash", "phone_a", "+8610690000001", "ver_two", until, now)
            .await
            .unwrap(),
        "the approved verification's caller is free"
    );
    // A verification holding no caller: exclusions cleared all the same.
    s.add_failover(t, k, "sms_b", until, now).await.unwrap();
    s.on_approved(t, k, "ver_three").await.unwrap();
    assert!(s.failover_suppliers(t, k, now).await.unwrap().is_empty());
    assert!(
        !s.reserve_caller("flash", "phone_a", "+8610690000001", "ver_four", until, now)
            .await
            .unwrap(),
        "ver_two still holds its caller"
    );
    clean(&url, &prefix).await;
}
