//! Usage per tenant × capability × day: counted calls, billable calls and
//! supplier costs; JSON and CSV; a tenant reads its own; dates are checked;
//! counts survive a graceful shutdown.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};
use crate::limits::default_tenant;
use crate::suppliers::admin_json;

/// Three lookups, two status lookups (sandbox at 30 厘 a call), an identity
/// check, and an invalid number (not counted).
async fn traffic(s: &TestServer) {
    let (st, b) = admin_json(
        s,
        Method::PATCH,
        "/v1/admin/suppliers/sandbox",
        Some(json!({"price_milli": 30})),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    for _ in 0..3 {
        assert_eq!(
            s.get("/v1/numbers/13800138000")
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    for _ in 0..2 {
        let r = s
            .get("/v1/numbers/13800138000?fields=status")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = s
        .post(
            "/v1/identity/match",
            &json!({"phone": "13800138000", "name": "张三"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.get("/v1/numbers/12").send().await.unwrap().status(), 422);
}

fn row<'a>(usage: &'a Value, cap: &str) -> &'a Value {
    usage["usage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["capability"] == cap)
        .unwrap_or_else(|| panic!("no {cap} row in {usage}"))
}

#[tokio::test]
async fn usage_counts_calls_by_capability_and_day_with_the_price_of_supplier_calls() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    traffic(&s).await;
    let (st, u) = admin_json(
        &s,
        Method::GET,
        &format!("/v1/admin/usage?tenant={tenant}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{u}");
    let today = Utc::now().date_naive().to_string();
    let lookup = row(&u, "lookup");
    assert_eq!(lookup["day"], today);
    assert_eq!(lookup["tenant_id"], tenant.as_str());
    assert_eq!(
        (lookup["calls"].as_i64(), lookup["billable_calls"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(lookup["cost_milli"], 0);
    let status = row(&u, "status");
    assert_eq!(status["calls"], 2);
    assert_eq!(status["billable_calls"], 2);
    assert_eq!(status["supplier_calls"], 2);
    assert_eq!(status["cost_milli"], 60);
    let identity = row(&u, "identity");
    assert_eq!(identity["calls"], 1);
    assert_eq!(
        identity["cost_milli"],
        identity["supplier_calls"].as_i64().unwrap() * 30
    );
    assert_eq!(u["totals"]["calls"], 6);
    // All tenants: the same rows, as this is the only one with traffic.
    let (_, all) = admin_json(&s, Method::GET, "/v1/admin/usage", None).await;
    assert_eq!(all["usage"], u["usage"]);
}

#[tokio::test]
async fn usage_is_exported_as_csv_with_the_same_figures() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    traffic(&s).await;
    let (_, u) = admin_json(
        &s,
        Method::GET,
        &format!("/v1/admin/usage?tenant={tenant}"),
        None,
    )
    .await;
    for req in [
        s.admin(Method::GET, &format!("/v1/admin/usage?tenant={tenant}"))
            .header("accept", "text/csv"),
        s.admin(
            Method::GET,
            &format!("/v1/admin/usage?tenant={tenant}&format=csv"),
        ),
    ] {
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let text = r.text().await.unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("tenant_id,day,capability,calls,billable_calls,supplier_calls,cost_milli")
        );
        let rows: Vec<&str> = lines.collect();
        let expected: Vec<String> = u["usage"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{},{},{},{},{},{},{}",
                    r["tenant_id"].as_str().unwrap(),
                    r["day"].as_str().unwrap(),
                    r["capability"].as_str().unwrap(),
                    r["calls"],
                    r["billable_calls"],
                    r["supplier_calls"],
                    r["cost_milli"]
                )
            })
            .collect();
        assert_eq!(rows, expected);
    }
}

#[tokio::test]
async fn a_tenant_reads_its_own_usage_with_its_key_and_no_one_elses() {
    let s = TestServer::start().await;
    let own = default_tenant(&s).await;
    let (_, other) = admin_json(
        &s,
        Method::POST,
        "/v1/admin/tenants",
        Some(json!({"name": "other"})),
    )
    .await;
    let other_id = other["id"].as_str().unwrap().to_string();
    let (_, k) = admin_json(
        &s,
        Method::POST,
        &format!("/v1/admin/tenants/{other_id}/keys"),
        Some(json!({"mode": "test"})),
    )
    .await;
    let other_key = k["key"].as_str().unwrap().to_string();
    traffic(&s).await;
    let r = s
        .client
        .post(s.url("/v1/risk/login"))
        .bearer_auth(&other_key)
        .json(&json!({"account": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, mine) = json(s.get("/v1/usage").send().await.unwrap()).await;
    assert_eq!(st, 200, "{mine}");
    assert!(
        mine["usage"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["tenant_id"] == own.as_str())
    );
    assert_eq!(mine["totals"]["calls"], 6);
    let (_, theirs) = json(
        s.client
            .get(s.url("/v1/usage"))
            .bearer_auth(&other_key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(theirs["usage"].as_array().unwrap().len(), 1);
    assert_eq!(row(&theirs, "risk")["calls"], 1);
    problem(
        s.get(&format!("/v1/usage?tenant={other_id}"))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    problem(
        s.get("/v1/admin/usage").send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn bad_or_reversed_or_too_long_date_ranges_are_refused_naming_the_parameter() {
    let s = TestServer::start().await;
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "to"),
        ("format=xml", "format"),
        ("tenant=ten_nope", "tenant"),
    ] {
        let b = problem(
            s.admin(Method::GET, &format!("/v1/admin/usage?{query}"))
                .send()
                .await
                .unwrap(),
            422,
            "invalid_request",
        )
        .await;
        assert_eq!(b["field"], field, "{query}: {b}");
    }
    let b = problem(
        s.get("/v1/usage?from=2026-02-30").send().await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(b["field"], "from");
    let (st, b) = admin_json(
        &s,
        Method::GET,
        "/v1/admin/usage?from=2026-01-01&to=2026-12-31",
        None,
    )
    .await;
    assert_eq!(st, 200, "a year is fine: {b}");
    assert_eq!(b["usage"], json!([]));
}

#[tokio::test]
async fn counts_not_yet_written_are_written_at_graceful_shutdown() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    for _ in 0..4 {
        assert_eq!(
            s.get("/v1/numbers/13800138000")
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    // Stopped at once: well before the periodic write.
    let dir = s.stop().await;
    // The same database on either backend (a SQLite file, or its PostgreSQL database).
    let url = crate::harness::test_config(&dir.path().join("pg.db")).database_url;
    let store = phoneguard_store::open(secrecy::ExposeSecret::expose_secret(&url))
        .await
        .unwrap();
    let today = Utc::now().date_naive();
    let counts = store.usage(Some(&tenant), today, today).await.unwrap();
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(
        (counts[0].capability.as_str(), counts[0].calls),
        ("lookup", 4)
    );
}
