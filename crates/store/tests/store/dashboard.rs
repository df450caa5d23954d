//! The dashboard's storage on every backend: sessions (hash only, expiry,
//! logout) and the monitoring queries.

use chrono::{DateTime, Duration, TimeZone, Utc};
use phoneguard_core::dashboard::DashboardSession;
use phoneguard_core::risk::{RiskReason, RiskRecord};
use phoneguard_core::suppliers::{CallRecord, Capability};
use phoneguard_core::{Store, Tenant};

use crate::pg;

fn now_ms() -> DateTime<Utc> {
    Utc.timestamp_millis_opt(Utc::now().timestamp_millis())
        .unwrap()
}

async fn dashboard_story(store: &dyn Store) {
    let now = now_ms();
    let session = |h: &str, ttl_s: i64| DashboardSession {
        id_hash: h.into(),
        created_at: now,
        expires_at: now + Duration::seconds(ttl_s),
    };
    store
        .insert_dashboard_session(&session("h_live", 600))
        .await
        .unwrap();
    store
        .insert_dashboard_session(&session("h_short", 1))
        .await
        .unwrap();
    assert_eq!(
        store.get_dashboard_session("h_live", now).await.unwrap(),
        Some(session("h_live", 600))
    );
    assert_eq!(
        store
            .get_dashboard_session("h_short", now + Duration::seconds(2))
            .await
            .unwrap(),
        None,
        "an expired session is refused"
    );
    assert_eq!(
        store.get_dashboard_session("h_none", now).await.unwrap(),
        None
    );
    store.delete_dashboard_session("h_live").await.unwrap();
    store.delete_dashboard_session("h_live").await.unwrap();
    assert_eq!(
        store.get_dashboard_session("h_live", now).await.unwrap(),
        None
    );
    // An admin token rotation ends every session; the new token's hash replaces the old.
    for h in ["h_a", "h_b"] {
        store
            .insert_dashboard_session(&session(h, 600))
            .await
            .unwrap();
    }
    // h_short (expired, not yet purged) may be counted too.
    assert!(store.delete_all_dashboard_sessions().await.unwrap() >= 2);
    for h in ["h_a", "h_b"] {
        assert_eq!(store.get_dashboard_session(h, now).await.unwrap(), None);
    }
    store.put_meta("rotated", "old").await.unwrap();
    store.put_meta("rotated", "new").await.unwrap();
    assert_eq!(
        store.get_meta("rotated").await.unwrap().as_deref(),
        Some("new")
    );

    let call = |sup: &str, age_s: i64, outcome: &str| CallRecord {
        at: now - Duration::seconds(age_s),
        tenant_id: "ten_d".into(),
        supplier_id: sup.into(),
        capability: Capability::Status,
        outcome: outcome.into(),
        latency_us: 1500,
        price_milli: 10,
    };
    store
        .insert_call_records(&[
            call("a", 10, "ok"),
            call("b", 20, "timeout"),
            call("a", 7200, "ok"),
        ])
        .await
        .unwrap();
    let points = store
        .call_points(now - Duration::seconds(3600), 100)
        .await
        .unwrap();
    assert_eq!(points.len(), 2, "{points:?}");
    assert_eq!(
        (points[0].supplier_id.as_str(), points[0].outcome.as_str()),
        ("a", "ok"),
        "newest first"
    );
    assert_eq!(points[1].capability, "status");
    assert_eq!(points[1].latency_us, 1500);
    assert_eq!(
        store
            .call_points(now - Duration::seconds(3600), 1)
            .await
            .unwrap()
            .len(),
        1,
        "the limit holds"
    );

    store
        .create_tenant(&Tenant {
            id: "ten_d".into(),
            name: "dash".into(),
            created_at: now,
        })
        .await
        .unwrap();
    let reason = RiskReason {
        code: "ip_velocity".into(),
        risk_type: 2,
        detail: "x".into(),
        score: 40,
    };
    store
        .insert_risk_result(&RiskRecord {
            token: "rk_d".into(),
            tenant_id: "ten_d".into(),
            kind: "login".into(),
            level: 3,
            decision: "deny".into(),
            risk_types: vec![2],
            reasons: vec![reason.clone()],
            score: 40,
            device_hash: Some("dev_d".into()),
            account_hash: "acct_d".into(),
            ip_hash: None,
            created_at: now,
            expires_at: now + Duration::days(1),
        })
        .await
        .unwrap();
    let risk = store
        .risk_points(now - Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(risk.len(), 1);
    assert_eq!(risk[0].level, 3);
    assert_eq!(risk[0].reasons, vec![reason]);
    assert_eq!(risk[0].device_hash.as_deref(), Some("dev_d"));

    // The verification queries answer (empty here; the HTTP tests fill them).
    let since = now - Duration::days(7);
    assert!(store.funnel_by_channel(since).await.unwrap().is_empty());
    assert!(store.funnel_by_supplier(since).await.unwrap().is_empty());
    assert!(store.conversion_by_carrier(since).await.unwrap().is_empty());
    assert!(store.top_send_ips(since, 5).await.unwrap().is_empty());
}

#[tokio::test]
async fn dashboard_sessions_and_queries_hold_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("dash.db").display());
    let store = phoneguard_store::open(&url).await.unwrap();
    dashboard_story(store.as_ref()).await;
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn dashboard_sessions_and_queries_hold_on_postgres() {
    let server = pg::server();
    let db = pg::TestDb::create(&server, "dash").await;
    let store = phoneguard_store::open(&db.url).await.unwrap();
    dashboard_story(store.as_ref()).await;
}
