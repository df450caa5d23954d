//! The PostgreSQL connection set without pings (`phoneguard_store::conns`):
//! what the pings of sqlx's pool did must still happen when it matters — a
//! dropped transaction's locks are let go at once, and a connection whose
//! backend is gone is replaced.

use std::time::Duration;

use phoneguard_store::postgres::{PoolSettings, PostgresStore};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::pg;

async fn store(label: &str, max: u32) -> (pg::TestDb, PostgresStore) {
    let db = pg::TestDb::create(&pg::server(), label).await;
    let settings = PoolSettings {
        max_connections: max,
        ..PoolSettings::default()
    };
    let store = PostgresStore::connect(&db.url, settings).await.unwrap();
    (db, store)
}

async fn backend_pid(store: &PostgresStore) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(store.pool())
        .await
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_transaction_dropped_midway_lets_its_locks_go_without_waiting_for_the_next_user() {
    let (db, store) = store("conns_tx", 2).await;
    let mut tx = store.pool().begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(4242)")
        .execute(&mut *tx)
        .await
        .unwrap();
    drop(tx);

    // Nothing else uses the set: only the flush on release can end the
    // transaction. Another session gets the lock once it is let go.
    let mut other = PgConnection::connect(&db.url).await.unwrap();
    let mut got = false;
    for _ in 0..100 {
        got = sqlx::query_scalar("SELECT pg_try_advisory_lock(4242)")
            .fetch_one(&mut other)
            .await
            .unwrap();
        if got {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(got, "the dropped transaction still holds its lock");
    // The connection went back usable, outside any transaction.
    let pid = backend_pid(&store).await.unwrap();
    let state: String = sqlx::query_scalar("SELECT state FROM pg_stat_activity WHERE pid = $1")
        .bind(pid)
        .fetch_one(&mut other)
        .await
        .unwrap();
    assert_eq!(state, "idle", "a connection came back inside a transaction");
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_connection_whose_backend_was_killed_fails_at_most_one_call_then_is_replaced() {
    let (db, store) = store("conns_kill", 1).await;
    let mut admin = PgConnection::connect(&db.url).await.unwrap();
    let kill = |pid: i32| sqlx::query("SELECT pg_terminate_backend($1)").bind(pid);

    // Killed while in active use (idle less than the check): the next call
    // may fail, the one after it runs on a new backend.
    let first = backend_pid(&store).await.unwrap();
    kill(first).execute(&mut admin).await.unwrap();
    let next = match backend_pid(&store).await {
        Ok(pid) => pid,
        Err(e) => {
            eprintln!("the first call after the kill failed: {e}");
            backend_pid(&store).await.unwrap()
        }
    };
    assert_ne!(next, first, "the killed connection was put back");

    // Killed while idle past the check: it is pinged, found gone and
    // replaced before the call, which succeeds.
    kill(next).execute(&mut admin).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let third = backend_pid(&store).await.unwrap();
    assert_ne!(third, next);
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn statements_reuse_one_connection_and_the_set_opens_no_more_than_its_maximum() {
    let (db, store) = store("conns_max", 3).await;
    let pids: Vec<i32> = {
        let mut v = Vec::new();
        for _ in 0..10 {
            v.push(backend_pid(&store).await.unwrap());
        }
        v
    };
    assert!(
        pids.iter().all(|p| *p == pids[0]),
        "sequential statements share one connection: {pids:?}"
    );
    let held: Vec<_> = futures::future::join_all((0..3).map(|_| store.pool().acquire())).await;
    assert!(held.iter().all(Result::is_ok));
    let mut admin = PgConnection::connect(&db.url).await.unwrap();
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = 'phoneguard'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(open, 3, "three taken, three open");
    drop(held);
}

fn risk_record(token: &str, tenant: &str) -> phoneguard_core::risk::RiskRecord {
    let now = chrono::Utc::now();
    phoneguard_core::risk::RiskRecord {
        token: token.into(),
        tenant_id: tenant.into(),
        kind: "login".into(),
        level: 1,
        decision: "pass".into(),
        risk_types: vec![1],
        reasons: vec![],
        score: 10,
        device_hash: Some("dev".into()),
        account_hash: "acct".into(),
        ip_hash: None,
        created_at: now,
        expires_at: now + chrono::Duration::hours(1),
    }
}

/// Risk results are written in groups: many at once all land, and a row
/// refused by a constraint fails only its own insert, not its batch.
#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn risk_results_written_in_groups_all_land_and_a_bad_row_fails_alone() {
    use phoneguard_core::risk::RiskStore;
    use phoneguard_core::{StoreError, Tenant, TenantStore};

    let (_db, store) = store("risk_batch", 4).await;
    store
        .create_tenant(&Tenant {
            id: "ten_b".into(),
            name: "batch".into(),
            created_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let writes = (0..300).map(|i| {
        let store = store.clone();
        // Every 50th names a tenant that does not exist (foreign key).
        let tenant = if i % 50 == 7 { "ten_missing" } else { "ten_b" };
        let r = risk_record(&format!("rk_batch_{i}"), tenant);
        tokio::spawn(async move { store.insert_risk_result(&r).await })
    });
    let results: Vec<_> = futures::future::join_all(writes)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for (i, r) in results.iter().enumerate() {
        if i % 50 == 7 {
            assert!(matches!(r, Err(StoreError::Conflict(_))), "{i}: {r:?}");
        } else {
            assert!(r.is_ok(), "{i}: {r:?}");
        }
    }
    let now = chrono::Utc::now();
    for i in [0, 1, 8, 150, 299] {
        let got = store
            .get_risk_result("ten_b", &format!("rk_batch_{i}"), now)
            .await
            .unwrap();
        assert_eq!(
            got,
            Some(risk_record(&format!("rk_batch_{i}"), "ten_b")).map(|mut r| {
                let g = got.as_ref().unwrap();
                (r.created_at, r.expires_at) = (g.created_at, g.expires_at);
                r
            })
        );
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM risk_results")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(n, 294);
}
