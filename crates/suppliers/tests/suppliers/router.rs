//! The router: failover, breaker, recovery by probes, test keys, hedging, records.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use phoneguard_core::KeyMode;
use phoneguard_core::suppliers::{Capability, RouterConfig, Supplier};
use phoneguard_suppliers::router::{Router, RouterError};

use crate::fakes::{MemStore, Scripted, config, query};

fn cfg() -> RouterConfig {
    RouterConfig {
        attempt_timeout_ms: 50,
        breaker_open_ms: 200,
        ..RouterConfig::default()
    }
}

async fn dead_and_alive(hang: bool) {
    let store = Arc::new(MemStore::default());
    let router = Router::new(cfg(), store.clone());
    let dead = Scripted::new(true, hang, Duration::ZERO);
    let alive = Scripted::new(false, false, Duration::ZERO);
    router.set_routes(vec![
        (
            config("dead", "http", 10),
            dead.clone() as Arc<dyn Supplier>,
        ),
        (
            config("alive", "http", 10),
            alive.clone() as Arc<dyn Supplier>,
        ),
    ]);
    let q = query(Capability::Status);
    for i in 0..1000 {
        let r = router
            .query(&q, KeyMode::Live)
            .await
            .unwrap_or_else(|e| panic!("query {i}: {e}"));
        assert_eq!(r.supplier_id, "alive");
    }
    let tried = dead.calls();
    assert!(
        tried <= 10,
        "the dead supplier stops being tried once its breaker opens ({tried} calls)"
    );
    assert_eq!(router.health("dead").unwrap().breaker, "open");
    // It recovers: after the cool-down a probe finds it healthy and it takes traffic again.
    dead.dead.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(250)).await;
    // The probe goes out only when the weighted draw picks it, which at its
    // low health can take a few hundred queries: query until it has.
    let mut probing = 0;
    while router.health("dead").unwrap().breaker != "closed" {
        assert!(
            probing < 20_000,
            "no probe closed the breaker in 20,000 queries"
        );
        router.query(&q, KeyMode::Live).await.unwrap();
        probing += 1;
    }
    for _ in 0..500 {
        router.query(&q, KeyMode::Live).await.unwrap();
    }
    assert_eq!(router.health("dead").unwrap().breaker, "closed");
    // Its share grows back with its success rate (slow start after an outage).
    assert!(
        dead.calls() > tried + 25,
        "back in rotation: {} calls",
        dead.calls()
    );
    router.flush_records().await;
    let records = store.calls.lock().unwrap();
    assert!(records.len() >= 1200, "every call leaves a record");
    assert!(
        records
            .iter()
            .all(|r| r.tenant_id == "ten_test" && (r.outcome == "ok" || r.price_milli == 0))
    );
    assert!(
        records
            .iter()
            .any(|r| r.supplier_id == "dead" && r.outcome != "ok")
    );
}

#[tokio::test]
async fn a_failing_supplier_costs_no_query_and_comes_back_after_it_recovers() {
    dead_and_alive(false).await;
}

#[tokio::test]
async fn a_hanging_supplier_costs_no_query_and_comes_back_after_it_recovers() {
    dead_and_alive(true).await;
}

#[tokio::test]
async fn test_keys_reach_sandbox_suppliers_only() {
    let router = Router::new(cfg(), Arc::new(MemStore::default()));
    let live = Scripted::new(false, false, Duration::ZERO);
    router.set_routes(vec![(
        config("vendor", "http", 10),
        live.clone() as Arc<dyn Supplier>,
    )]);
    let q = query(Capability::Status);
    assert_eq!(
        router.query(&q, KeyMode::Test).await.unwrap_err(),
        RouterError::NoSupplier("status")
    );
    assert_eq!(live.calls(), 0);
    let sandbox = Scripted::new(false, false, Duration::ZERO);
    router.set_routes(vec![
        (
            config("vendor", "http", 10),
            live.clone() as Arc<dyn Supplier>,
        ),
        (
            config("sandbox", "sandbox", 1),
            sandbox.clone() as Arc<dyn Supplier>,
        ),
    ]);
    for _ in 0..20 {
        assert_eq!(
            router.query(&q, KeyMode::Test).await.unwrap().supplier_id,
            "sandbox"
        );
    }
    assert_eq!(live.calls(), 0);
}

/// Live keys get real answers only: with the sandbox enabled (and heavier)
/// beside a real supplier, no live query reaches it; with no real supplier
/// left, the answer is "no supplier", never the sandbox's.
#[tokio::test]
async fn live_keys_never_reach_sandbox_suppliers() {
    let router = Router::new(cfg(), Arc::new(MemStore::default()));
    let live = Scripted::new(false, false, Duration::ZERO);
    let sandbox = Scripted::new(false, false, Duration::ZERO);
    router.set_routes(vec![
        (
            config("vendor", "http", 1),
            live.clone() as Arc<dyn Supplier>,
        ),
        (
            config("sandbox", "sandbox", 100),
            sandbox.clone() as Arc<dyn Supplier>,
        ),
    ]);
    let q = query(Capability::Status);
    for _ in 0..50 {
        assert_eq!(
            router.query(&q, KeyMode::Live).await.unwrap().supplier_id,
            "vendor"
        );
    }
    assert_eq!(sandbox.calls(), 0);
    assert!(!router.has_capability(Capability::Identity, KeyMode::Live));
    router.set_routes(vec![(
        config("sandbox", "sandbox", 100),
        sandbox.clone() as Arc<dyn Supplier>,
    )]);
    assert!(!router.has_capability(Capability::Status, KeyMode::Live));
    assert_eq!(
        router.query(&q, KeyMode::Live).await.unwrap_err(),
        RouterError::NoSupplier("status")
    );
    assert_eq!(sandbox.calls(), 0);
}

/// No calls, no rate: the live health of a supplier not yet called has no
/// success rate (it used to say ½, the smoothing's prior).
#[tokio::test]
async fn a_supplier_not_yet_called_reports_no_success_rate() {
    let router = Router::new(cfg(), Arc::new(MemStore::default()));
    let vendor = Scripted::new(false, false, Duration::ZERO);
    router.set_routes(vec![(
        config("vendor", "http", 1),
        vendor.clone() as Arc<dyn Supplier>,
    )]);
    let fresh = router.health("vendor").unwrap();
    assert_eq!((fresh.window_calls, fresh.success_rate), (0, None));
    router
        .query(&query(Capability::Status), KeyMode::Live)
        .await
        .unwrap();
    let called = router.health("vendor").unwrap();
    assert_eq!(called.window_calls, 1);
    assert!(called.success_rate.is_some_and(|r| r > 0.5));
}

#[tokio::test]
async fn traffic_follows_weights_and_disabled_or_uncovered_suppliers_get_none() {
    let router = Router::new(cfg(), Arc::new(MemStore::default()));
    let (a, b, off) = (
        Scripted::new(false, false, Duration::ZERO),
        Scripted::new(false, false, Duration::ZERO),
        Scripted::new(false, false, Duration::ZERO),
    );
    let mut disabled = config("off", "http", 100);
    disabled.enabled = false;
    let mut elsewhere = config("b", "http", 30);
    elsewhere.carriers = vec!["cmcc".into(), "cucc".into()];
    router.set_routes(vec![
        (config("a", "http", 10), a.clone() as Arc<dyn Supplier>),
        (elsewhere, b.clone() as Arc<dyn Supplier>),
        (disabled, off.clone() as Arc<dyn Supplier>),
    ]);
    for _ in 0..2000 {
        router
            .query(&query(Capability::Status), KeyMode::Live)
            .await
            .unwrap();
    }
    let share = f64::from(b.calls()) / 2000.0;
    assert!(
        (0.68..0.82).contains(&share),
        "b has 3/4 of the weight: {share}"
    );
    assert_eq!(off.calls(), 0);
    let mut ctcc = query(Capability::Status);
    ctcc.subject.carrier = Some("ctcc".into());
    let before = b.calls();
    for _ in 0..50 {
        assert_eq!(
            router
                .query(&ctcc, KeyMode::Live)
                .await
                .unwrap()
                .supplier_id,
            "a"
        );
    }
    assert_eq!(b.calls(), before, "b does not cover ctcc");
}

#[tokio::test]
async fn hedging_answers_status_from_the_faster_supplier() {
    let router = Router::new(
        RouterConfig {
            hedge_after_ms: 20,
            attempt_timeout_ms: 1000,
            ..RouterConfig::default()
        },
        Arc::new(MemStore::default()),
    );
    let slow = Scripted::new(false, false, Duration::from_millis(500));
    let fast = Scripted::new(false, false, Duration::from_millis(1));
    router.set_routes(vec![
        (
            config("slow", "http", 1000),
            slow.clone() as Arc<dyn Supplier>,
        ),
        (config("fast", "http", 1), fast.clone() as Arc<dyn Supplier>),
    ]);
    // Without hedging the heavy slow supplier would answer nearly every query.
    let mut by_fast = 0;
    for _ in 0..5 {
        if router
            .query(&query(Capability::Status), KeyMode::Live)
            .await
            .unwrap()
            .supplier_id
            == "fast"
        {
            by_fast += 1;
        }
    }
    assert!(by_fast >= 4, "{by_fast}");
}

#[tokio::test]
async fn when_every_supplier_fails_the_error_says_so_within_the_deadline() {
    let router = Router::new(
        RouterConfig {
            deadline_ms: 300,
            attempt_timeout_ms: 100,
            ..RouterConfig::default()
        },
        Arc::new(MemStore::default()),
    );
    let (a, b) = (
        Scripted::new(true, true, Duration::ZERO),
        Scripted::new(true, false, Duration::ZERO),
    );
    router.set_routes(vec![
        (config("a", "http", 10), a as Arc<dyn Supplier>),
        (config("b", "http", 10), b as Arc<dyn Supplier>),
    ]);
    // `a` hangs for ever: only the deadline can end the query.
    let e = tokio::time::timeout(
        Duration::from_secs(30),
        router.query(&query(Capability::Status), KeyMode::Live),
    )
    .await
    .expect("the deadline ends a query whose supplier hangs")
    .unwrap_err();
    assert!(
        matches!(e, RouterError::AllFailed { attempts: 2, .. }),
        "{e:?}"
    );
    assert_eq!(
        router
            .query(&query(Capability::Identity), KeyMode::Live)
            .await
            .unwrap_err(),
        RouterError::NoSupplier("identity")
    );
}

#[tokio::test]
async fn the_status_cache_answers_again_per_tenant_and_only_when_turned_on() {
    let make = |ttl| {
        let router = Router::new(
            RouterConfig {
                status_cache_ttl_s: ttl,
                ..RouterConfig::default()
            },
            Arc::new(MemStore::default()),
        );
        let s = Scripted::new(false, false, Duration::ZERO);
        router.set_routes(vec![(
            config("a", "http", 10),
            s.clone() as Arc<dyn Supplier>,
        )]);
        (router, s)
    };
    let q = query(Capability::Status);

    // Off (the default): every query is a supplier call.
    let (router, s) = make(0);
    for _ in 0..3 {
        assert!(!router.query(&q, KeyMode::Live).await.unwrap().cached);
    }
    assert_eq!(s.calls(), 3);

    // On: the second query of the same tenant and number is answered from the cache,
    // with the time of the original answer.
    let (router, s) = make(60);
    let first = router.query(&q, KeyMode::Live).await.unwrap();
    let again = router.query(&q, KeyMode::Live).await.unwrap();
    assert_eq!(s.calls(), 1);
    assert!(!first.cached && again.cached);
    assert_eq!(again.attempts, 0);
    assert_eq!(again.answered_at, first.answered_at);
    assert_eq!(again.supplier_id, "a");

    // Another tenant, another key mode or another number never shares it.
    let mut other_tenant = q.clone();
    other_tenant.subject.tenant_id = "ten_other".into();
    assert!(
        !router
            .query(&other_tenant, KeyMode::Live)
            .await
            .unwrap()
            .cached
    );
    let mut other_number = q.clone();
    other_number.subject.e164 = "+8613900139000".into();
    assert!(
        !router
            .query(&other_number, KeyMode::Live)
            .await
            .unwrap()
            .cached
    );
    assert_eq!(s.calls(), 3);
}

#[tokio::test]
async fn a_circuit_opened_by_the_failure_ratio_closes_after_one_good_probe() {
    // Only the ratio rule can open it here (consecutive failures would need 1,000).
    let router = Router::new(
        RouterConfig {
            attempt_timeout_ms: 50,
            breaker_open_ms: 50,
            breaker_failures: 1000,
            breaker_min_calls: 20,
            breaker_failure_ratio: 0.5,
            ..RouterConfig::default()
        },
        Arc::new(MemStore::default()),
    );
    let flaky = Scripted::new(true, false, Duration::ZERO);
    router.set_routes(vec![(
        config("flaky", "http", 10),
        flaky.clone() as Arc<dyn Supplier>,
    )]);
    let q = query(Capability::Status);
    while router.health("flaky").unwrap().breaker != "open" {
        assert!(router.query(&q, KeyMode::Live).await.is_err());
    }
    assert!(flaky.calls() >= 20);
    flaky.dead.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(80)).await;
    // The probe succeeds and the circuit stays closed for the calls after it.
    for i in 0..10 {
        let r = router.query(&q, KeyMode::Live).await;
        assert!(r.is_ok(), "call {i} after recovery: {r:?}");
        assert_eq!(
            router.health("flaky").unwrap().breaker,
            "closed",
            "call {i}"
        );
    }
}
