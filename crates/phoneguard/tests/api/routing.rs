//! Routing through the real server: failover around a failing supplier, and
//! no personal data or credential in clear in the database afterwards.

use reqwest::Method;
use serde_json::json;

use crate::backend::{is_postgres, stored_bytes};
use crate::harness::json;
use crate::identity::set_subscriber;
use crate::suppliers::{APPCODE, admin_json, start_with_master_key};

#[tokio::test]
async fn a_thousand_status_queries_succeed_while_one_of_two_suppliers_fails_every_call() {
    let s = start_with_master_key().await;
    let (st, b) = admin_json(
        &s,
        Method::POST,
        "/v1/admin/suppliers",
        Some(json!({
            "id": "sandbox-broken", "kind": "sandbox", "capabilities": ["status"], "weight": 100,
            "options": {"fail_rate": 1.0}
        })),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    for i in 0..1000 {
        let (st, b) = json(
            s.get("/v1/numbers/13800138000?fields=status")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (st, b["status"]["supplier"].as_str()),
            (200, Some("sandbox")),
            "query {i}: {b}"
        );
    }
    let (_, stats) = admin_json(&s, Method::GET, "/v1/admin/stats", None).await;
    let broken = stats["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["supplier_id"] == "sandbox-broken")
        .unwrap()
        .clone();
    assert!(
        broken["calls"].as_i64().unwrap() <= 10,
        "its breaker opened: {broken}"
    );
    assert_eq!(broken["successes"], 0);
    assert_eq!(broken["health"]["breaker"], "open");
    s.stop().await;
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn after_a_full_run_the_database_holds_no_name_id_number_or_credential_in_clear() {
    let s = start_with_master_key().await;
    let (st, _) = admin_json(&s, Method::POST, "/v1/admin/suppliers", Some(json!({
        "id": "aliyun-a", "kind": "aliyun_market_status", "capabilities": ["status"], "enabled": false,
        "credentials": {"appcode": APPCODE}
    })))
    .await;
    assert_eq!(st, 201);
    let (name, id) = ("欧阳娜娜", "11010519491231002X");
    set_subscriber(&s, "13800138000", json!({"name": name, "id_number": id})).await;
    let (_, b) = json(
        s.post(
            "/v1/identity/match",
            &json!({"phone": "13800138000", "name": name, "id_number": id}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(b["result"], "match");
    s.client
        .post(s.url("/compat/two-factor"))
        .bearer_auth(&s.key)
        .json(&json!({"name": name, "phoneNumber": "13800138000"}))
        .send()
        .await
        .unwrap();
    admin_json(&s, Method::GET, "/v1/admin/stats", None).await;
    let db = s.dir.path().join("pg.db");
    let mut files = stored_bytes(s.dir.path(), &db);
    assert!(
        is_postgres() || files.iter().any(|(p, _)| p.ends_with("-wal")),
        "the WAL is read while the server runs"
    );
    let dir = s.stop().await;
    files.extend(stored_bytes(dir.path(), &db));
    for (path, bytes) in &files {
        for secret in [name, id, &id.to_lowercase(), APPCODE, "13800138000"] {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "{secret} found in clear in {path}"
            );
        }
    }
}

/// A second server on the database of `first` (another node), with the same key.
async fn second_node(first: &crate::harness::TestServer) -> crate::harness::TestServer {
    let db = first.dir.path().join("pg.db");
    let config = crate::harness::test_config(&db);
    let (state, _bootstrap) = phoneguard::start::prepare(&config)
        .await
        .expect("node B prepares");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    crate::harness::TestServer::from_parts(
        listener,
        config,
        state,
        first.key.clone(),
        tempfile::tempdir().unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_supplier_disabled_through_one_node_stops_being_used_by_another() {
    let a = crate::harness::TestServer::start().await;
    let b = second_node(&a).await;
    let ask =
        |s: &crate::harness::TestServer| s.get("/v1/numbers/13800138000?fields=status").send();
    assert_eq!(
        ask(&b).await.unwrap().status(),
        200,
        "node B answers status at first"
    );
    let (st, body) = json(
        a.admin(Method::PATCH, "/v1/admin/suppliers/sandbox")
            .json(&json!({"enabled": false}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    // Node B notices the change by itself (it polls the supplier table every 2 s).
    let mut seen = None;
    for _ in 0..100 {
        let r = ask(&b).await.unwrap();
        if r.status() == 503 {
            seen = Some(r.json::<serde_json::Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let seen = seen.expect("node B stopped routing to the disabled supplier within 10 s");
    assert_eq!(seen["code"], "supplier_unavailable", "{seen}");
    b.stop().await;
    a.stop().await;
}
