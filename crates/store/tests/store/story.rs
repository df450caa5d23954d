//! One storage story, run on every backend: SQLite always; PostgreSQL when
//! `PHONEGUARD_TEST_POSTGRES_URL` is set. Same calls, same answers.

use chrono::{DateTime, Duration, TimeZone, Utc};
use phoneguard_core::risk::{RiskReason, RiskRecord};
use phoneguard_core::suppliers::{
    CallRecord, Capability, LineStatus, SandboxSubscriber, SupplierRecord,
};
use phoneguard_core::{ApiKey, KeyMode, Store, StoreError, Tenant};

use crate::pg;

/// The whole story; leaves two tenants behind.
async fn story(store: &dyn Store) {
    core_story(store).await;
    risk_story(store).await;
    supplier_story(store).await;
    crate::ops_story::ops_story(store).await;
}

/// Now, to the millisecond (what every backend keeps).
fn now_ms() -> DateTime<Utc> {
    Utc.timestamp_millis_opt(Utc::now().timestamp_millis())
        .unwrap()
}

/// Settings, tenants and keys.
async fn core_story(store: &dyn Store) {
    store.ping().await.unwrap();

    // Settings: the first value written wins, later writers read it back.
    assert_eq!(store.get_meta("k").await.unwrap(), None);
    assert_eq!(
        store.put_meta_if_absent("k", "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.put_meta_if_absent("k", "second").await.unwrap(),
        "first"
    );
    assert_eq!(store.get_meta("k").await.unwrap().as_deref(), Some("first"));

    // Tenants: unique names, ordered listing.
    let now = Utc::now();
    let a = Tenant {
        id: "ten_a".into(),
        name: "alpha".into(),
        created_at: now,
    };
    let b = Tenant {
        id: "ten_b".into(),
        name: "beta".into(),
        created_at: now + Duration::milliseconds(1),
    };
    store.create_tenant(&a).await.unwrap();
    store.create_tenant(&b).await.unwrap();
    let dup = Tenant {
        id: "ten_c".into(),
        name: "alpha".into(),
        created_at: now,
    };
    assert!(matches!(
        store.create_tenant(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.count_tenants().await.unwrap(), 2);
    let listed = store.list_tenants().await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["alpha", "beta"]
    );
    assert_eq!(
        store
            .get_tenant("ten_a")
            .await
            .unwrap()
            .unwrap()
            .created_at
            .timestamp_millis(),
        now.timestamp_millis()
    );
    assert!(store.get_tenant("ten_zzz").await.unwrap().is_none());

    // Keys: found by hash, unknown tenant refused, revocation idempotent.
    let key = ApiKey {
        id: "key_1".into(),
        tenant_id: "ten_a".into(),
        mode: KeyMode::Live,
        hash: "h1".into(),
        hint: "pk_live_abcd…".into(),
        created_at: now,
        revoked_at: None,
    };
    store.create_api_key(&key).await.unwrap();
    let orphan = ApiKey {
        id: "key_2".into(),
        tenant_id: "ten_missing".into(),
        hash: "h2".into(),
        ..key.clone()
    };
    assert!(matches!(
        store.create_api_key(&orphan).await,
        Err(StoreError::Conflict(_))
    ));
    let same_hash = ApiKey {
        id: "key_3".into(),
        ..key.clone()
    };
    assert!(matches!(
        store.create_api_key(&same_hash).await,
        Err(StoreError::Conflict(_))
    ));
    let found = store.find_api_key_by_hash("h1").await.unwrap().unwrap();
    assert_eq!(
        (found.id.as_str(), found.mode, found.revoked_at),
        ("key_1", KeyMode::Live, None)
    );
    assert!(store.find_api_key_by_hash("nope").await.unwrap().is_none());
    assert_eq!(store.list_api_keys("ten_a").await.unwrap().len(), 1);
    assert!(store.list_api_keys("ten_b").await.unwrap().is_empty());

    let first = store.revoke_api_key("key_1", now).await.unwrap().unwrap();
    let again = store
        .revoke_api_key("key_1", now + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.revoked_at.map(|t| t.timestamp_millis()),
        Some(now.timestamp_millis())
    );
    assert_eq!(
        again.revoked_at, first.revoked_at,
        "an earlier revocation time is kept"
    );
    assert!(
        store
            .revoke_api_key("key_nope", now)
            .await
            .unwrap()
            .is_none()
    );
}

/// Risk results: by token and tenant until they expire, summarised per device, purged.
async fn risk_story(store: &dyn Store) {
    let now = now_ms();
    let record = |token: &str, account: &str, age_min: i64, ttl_min: i64| RiskRecord {
        token: token.into(),
        tenant_id: "ten_a".into(),
        kind: "register".into(),
        level: 3,
        decision: "review".into(),
        risk_types: vec![2, 1],
        reasons: vec![RiskReason {
            code: "ip_velocity".into(),
            risk_type: 2,
            detail: "23 registrations from this IP in 1h".into(),
            score: 40,
        }],
        score: 40,
        device_hash: Some("dev_h".into()),
        account_hash: account.into(),
        ip_hash: Some("net_1".into()),
        created_at: now - Duration::minutes(age_min),
        expires_at: now + Duration::minutes(ttl_min - age_min),
    };
    let first = record("rk_1", "acct_1", 120, 600);
    let second = RiskRecord {
        ip_hash: None,
        ..record("rk_2", "acct_2", 60, 600)
    };
    let latest = RiskRecord {
        level: 0,
        decision: "allow".into(),
        risk_types: vec![],
        reasons: vec![],
        score: 0,
        ..record("rk_3", "acct_1", 0, 600)
    };
    let expired = record("rk_old", "acct_9", 300, 30);
    let no_device = RiskRecord {
        device_hash: None,
        ..record("rk_4", "acct_1", 0, 600)
    };
    for r in [&first, &second, &latest, &expired, &no_device] {
        store.insert_risk_result(r).await.unwrap();
    }
    assert!(matches!(
        store.insert_risk_result(&first).await,
        Err(StoreError::Conflict(_))
    ));
    let orphan = RiskRecord {
        token: "rk_orphan".into(),
        tenant_id: "ten_missing".into(),
        ..first.clone()
    };
    assert!(matches!(
        store.insert_risk_result(&orphan).await,
        Err(StoreError::Conflict(_))
    ));

    assert_eq!(
        store.get_risk_result("ten_a", "rk_1", now).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.get_risk_result("ten_a", "rk_4", now).await.unwrap(),
        Some(no_device)
    );
    assert_eq!(
        store.get_risk_result("ten_b", "rk_1", now).await.unwrap(),
        None,
        "another tenant's token reads as absent"
    );
    assert_eq!(
        store.get_risk_result("ten_a", "rk_old", now).await.unwrap(),
        None,
        "an expired result reads as absent before it is purged"
    );

    let summary = store
        .device_summary("ten_a", "dev_h", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.latest, latest);
    assert_eq!(summary.first_seen, first.created_at);
    assert_eq!((summary.accounts, summary.events), (2, 3));
    assert_eq!(
        summary.ips, 1,
        "one network; an event without an IP is not one"
    );
    assert!(
        store
            .device_summary("ten_b", "dev_h", now)
            .await
            .unwrap()
            .is_none()
    );

    assert_eq!(store.purge_risk_results(now).await.unwrap(), 1);
    assert_eq!(store.purge_risk_results(now).await.unwrap(), 0);
    assert_eq!(
        store
            .purge_risk_results(now + Duration::days(1))
            .await
            .unwrap(),
        4
    );
}

/// Suppliers, sandbox subscribers, call records and their figures.
async fn supplier_story(store: &dyn Store) {
    let now = now_ms();
    let supplier = |id: &str| SupplierRecord {
        id: id.into(),
        kind: "sandbox".into(),
        capabilities: vec![Capability::Status, Capability::Tenure],
        carriers: vec!["cmcc".into(), "cucc".into()],
        weight: 3,
        price_milli: 20,
        enabled: true,
        options: serde_json::json!({"region": "cn", "n": 1}),
        credentials: Some(vec![1, 0, 255, 7]),
        created_at: now,
        updated_at: now,
    };
    let b = supplier("sup_b");
    let a = SupplierRecord {
        capabilities: vec![Capability::Identity],
        carriers: vec![],
        enabled: false,
        credentials: None,
        options: serde_json::json!({}),
        ..supplier("sup_a")
    };
    store.insert_supplier(&b).await.unwrap();
    store.insert_supplier(&a).await.unwrap();
    assert!(matches!(
        store.insert_supplier(&a).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.list_suppliers().await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(store.get_supplier("sup_b").await.unwrap(), Some(b.clone()));
    assert_eq!(store.get_supplier("sup_zzz").await.unwrap(), None);

    let b2 = SupplierRecord {
        weight: 7,
        price_milli: 0,
        enabled: false,
        credentials: None,
        updated_at: now + Duration::seconds(5),
        ..b.clone()
    };
    assert!(store.update_supplier(&b2).await.unwrap());
    assert_eq!(store.get_supplier("sup_b").await.unwrap(), Some(b2));
    assert!(!store.update_supplier(&supplier("sup_zzz")).await.unwrap());
    assert!(store.delete_supplier("sup_a").await.unwrap());
    assert!(!store.delete_supplier("sup_a").await.unwrap());
    assert_eq!(store.list_suppliers().await.unwrap().len(), 1);

    // Sandbox subscribers: per tenant, replaced whole.
    let sub = SandboxSubscriber {
        tenant_id: "ten_a".into(),
        number_hash: "nh_1".into(),
        status: Some(LineStatus::Suspended),
        name_md5_mac: Some("n5".into()),
        name_sha256_mac: Some("n256".into()),
        id_md5_mac: None,
        id_sha256_mac: Some("i256".into()),
        tenure_months: Some(7),
        ported_to: Some("cucc".into()),
        updated_at: now,
    };
    store.put_sandbox_subscriber(&sub).await.unwrap();
    assert_eq!(
        store.get_sandbox_subscriber("ten_a", "nh_1").await.unwrap(),
        Some(sub.clone())
    );
    let replaced = SandboxSubscriber {
        tenant_id: "ten_a".into(),
        number_hash: "nh_1".into(),
        updated_at: now + Duration::seconds(1),
        ..SandboxSubscriber::default()
    };
    store.put_sandbox_subscriber(&replaced).await.unwrap();
    assert_eq!(
        store.get_sandbox_subscriber("ten_a", "nh_1").await.unwrap(),
        Some(replaced)
    );
    assert_eq!(
        store.get_sandbox_subscriber("ten_b", "nh_1").await.unwrap(),
        None
    );
    let orphan = SandboxSubscriber {
        tenant_id: "ten_missing".into(),
        ..sub
    };
    assert!(matches!(
        store.put_sandbox_subscriber(&orphan).await,
        Err(StoreError::Conflict(_))
    ));

    // Call records and their figures since a time.
    let call =
        |supplier: &str, tenant: &str, cap, outcome: &str, ms: i64, price, age_s| CallRecord {
            at: now - Duration::seconds(age_s),
            tenant_id: tenant.into(),
            supplier_id: supplier.into(),
            capability: cap,
            outcome: outcome.into(),
            latency_us: ms * 1000,
            price_milli: price,
        };
    let since = now - Duration::minutes(10);
    store.insert_call_records(&[]).await.unwrap();
    store
        .insert_call_records(&[
            call("sup_b", "ten_a", Capability::Status, "ok", 4, 20, 5),
            call("sup_b", "ten_a", Capability::Status, "timeout", 1, 0, 5),
            call("sup_b", "ten_b", Capability::Tenure, "ok", 3, 20, 5),
            call("sup_b", "ten_a", Capability::Status, "cancelled", 2, 0, 5),
            call(
                "sup_a",
                "ten_a",
                Capability::Identity,
                "http_status",
                9,
                0,
                5,
            ),
            call("sup_a", "ten_a", Capability::Identity, "ok", 1, 50, 3600),
        ])
        .await
        .unwrap();
    let stats = store.supplier_stats(since).await.unwrap();
    let figures: Vec<_> = stats
        .iter()
        .map(|s| {
            (
                s.supplier_id.as_str(),
                s.calls,
                s.successes,
                s.failures,
                s.p50_ms,
                s.p95_ms,
                s.cost_milli,
            )
        })
        .collect();
    assert_eq!(
        figures,
        [
            ("sup_a", 1, 0, 1, 9.0, 9.0, 0),
            ("sup_b", 4, 2, 1, 2.0, 4.0, 40)
        ]
    );
    let per_tenant: Vec<_> = store
        .tenant_stats(since)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.tenant_id, c.capability, c.calls))
        .collect();
    assert_eq!(
        per_tenant,
        [
            ("ten_a".to_string(), "identity".to_string(), 1),
            ("ten_a".to_string(), "status".to_string(), 3),
            ("ten_b".to_string(), "tenure".to_string(), 1),
        ]
    );
    assert!(
        store
            .supplier_stats(now + Duration::minutes(1))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Risk results (written on the caller's thread, several per transaction)
/// and other writes (through the one sqlx writer) at the same time: every
/// write lands, none waits on SQLite's lock until it gives up, and a
/// duplicate token in the crowd fails alone.
async fn writers_at_once(store: &std::sync::Arc<dyn Store>) {
    let now = now_ms();
    let record = |i: usize| RiskRecord {
        token: format!("rk_crowd_{i}"),
        tenant_id: "ten_a".into(),
        kind: "login".into(),
        level: 0,
        decision: "allow".into(),
        risk_types: vec![],
        reasons: vec![],
        score: 0,
        device_hash: None,
        account_hash: format!("acct_{i}"),
        ip_hash: None,
        created_at: now,
        expires_at: now + Duration::minutes(10),
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..300 {
        let (writer, r) = (store.clone(), record(i % 299));
        tasks.spawn(async move { (i, writer.insert_risk_result(&r).await) });
        if i % 6 == 0 {
            let store = store.clone();
            tasks.spawn(async move {
                let v = format!("v{i}");
                let put = store.put_meta_if_absent(&format!("crowd_{i}"), &v).await;
                (1000 + i, put.map(|got| assert_eq!(got, v)))
            });
        }
    }
    let mut conflicts = 0;
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (_, Ok(())) => {}
            (i, Err(StoreError::Conflict(_))) if i % 299 == 0 && i < 1000 => conflicts += 1,
            (i, Err(e)) => panic!("write {i} failed: {e}"),
        }
    }
    assert_eq!(conflicts, 1, "the second rk_crowd_0 is refused, once");
    for i in 0..299 {
        let got = store
            .get_risk_result("ten_a", &format!("rk_crowd_{i}"), now)
            .await
            .unwrap();
        assert_eq!(got, Some(record(i)), "rk_crowd_{i}");
    }
    for i in (0..300).step_by(6) {
        assert_eq!(
            store.get_meta(&format!("crowd_{i}")).await.unwrap(),
            Some(format!("v{i}"))
        );
    }
}

// Two worker threads: the risk writer and the sqlx writer really race.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storage_story_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("story.db").display());
    let store = phoneguard_store::open(&url).await.unwrap();
    story(store.as_ref()).await;
    writers_at_once(&store).await;
    // Reopening runs the migrations again without harm and keeps the data.
    drop(store);
    let store = phoneguard_store::open(&url).await.unwrap();
    assert_eq!(store.count_tenants().await.unwrap(), 2);
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn the_storage_story_holds_on_postgres() {
    let server = pg::server();
    let db = pg::TestDb::create(&server, "story").await;
    let store = match phoneguard_store::open(&db.url).await {
        Ok(store) => store,
        Err(e) => panic!("PostgreSQL configured but not usable: {e}"),
    };
    story(store.as_ref()).await;
    drop(store);
    let store = phoneguard_store::open(&db.url).await.unwrap();
    assert_eq!(store.count_tenants().await.unwrap(), 2);
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn nodes_starting_together_on_one_postgres_migrate_once_and_agree_on_settings() {
    let server = pg::server();
    let db = pg::TestDb::create(&server, "together").await;
    // Four nodes open the same empty database at once: the migrator's lock makes
    // them take turns, and the first secret written is the one all of them read.
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { phoneguard_store::open(&url).await })
        })
        .collect();
    let mut stores = vec![];
    for open in opens {
        stores.push(open.await.unwrap().unwrap());
    }
    let writes: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            tokio::spawn(async move { s.put_meta_if_absent("secret", &format!("v{i}")).await })
        })
        .collect();
    let mut values = vec![];
    for w in writes {
        values.push(w.await.unwrap().unwrap());
    }
    assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
}

#[tokio::test]
async fn an_unknown_scheme_is_refused_with_the_key_named() {
    let err = phoneguard_store::open("mysql://u:secret@h/db")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("database_url") && !err.contains("secret"),
        "{err}"
    );
}
