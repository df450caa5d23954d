//! The audit log: every admin change with who, what, when, before and after —
//! and never a credential, key or token.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, problem};
use crate::limits::default_tenant;
use crate::suppliers::{APPCODE, admin_json, start_with_master_key};

async fn entries(s: &TestServer, query: &str) -> Value {
    let (st, b) = admin_json(s, Method::GET, &format!("/v1/admin/audit{query}"), None).await;
    assert_eq!(st, 200, "{b}");
    b
}

#[tokio::test]
async fn a_supplier_patch_with_credentials_leaves_an_audit_row_without_the_credential() {
    let s = start_with_master_key().await;
    let (st, _) = admin_json(
        &s,
        Method::POST,
        "/v1/admin/suppliers",
        Some(
            json!({"id": "aliyun-a", "kind": "aliyun_market_status", "capabilities": ["status"],
            "weight": 5, "enabled": false, "options": {"base_url": "http://127.0.0.1:9"},
            "credentials": {"appcode": APPCODE}}),
        ),
    )
    .await;
    assert_eq!(st, 201);
    let new_code = "appcode-rotated-5be1c0ffee2a4d7e";
    let (st, b) = admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/aliyun-a",
        Some(json!({"weight": 7, "credentials": {"appcode": new_code}})),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    let log = entries(&s, "").await;
    let text = log.to_string();
    assert!(
        !text.contains(APPCODE) && !text.contains(new_code),
        "{text}"
    );
    let e = &log["entries"][0];
    assert_eq!(e["action"], "supplier.update");
    assert_eq!(e["target"], "aliyun-a");
    assert_eq!(e["actor"], "admin");
    assert_eq!(e["before"]["weight"], 5);
    assert_eq!(e["after"]["weight"], 7);
    assert_eq!(e["after"]["has_credentials"], true);
    assert!(e["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(e["at"].as_str().is_some());
    assert_eq!(log["entries"][1]["action"], "supplier.create");
    // Nor anywhere in the database file, where the row is kept.
    let dir = s.stop().await;
    let mut bytes = vec![];
    for f in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(f.unwrap().path()).unwrap());
    }
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!has(new_code) && !has(APPCODE));
}

#[tokio::test]
async fn every_admin_change_is_logged_newest_first_and_pages_back() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    let (_, t) = admin_json(
        &s,
        Method::POST,
        "/v1/admin/tenants",
        Some(json!({"name": "acme"})),
    )
    .await;
    let acme = t["id"].as_str().unwrap().to_string();
    let (_, k) = admin_json(
        &s,
        Method::POST,
        &format!("/v1/admin/tenants/{acme}/keys"),
        Some(json!({"mode": "live"})),
    )
    .await;
    let (key_id, key) = (
        k["id"].as_str().unwrap().to_string(),
        k["key"].as_str().unwrap().to_string(),
    );
    admin_json(
        &s,
        Method::PUT,
        &format!("/v1/admin/tenants/{tenant}/limits"),
        Some(json!({"rate_per_s": {"lookup": 9}})),
    )
    .await;
    admin_json(
        &s,
        Method::DELETE,
        &format!("/v1/admin/keys/{key_id}"),
        None,
    )
    .await;
    admin_json(
        &s,
        Method::PUT,
        &format!("/v1/admin/tenants/{acme}/verify-countries"),
        Some(json!({"countries": ["CN", "HK"]})),
    )
    .await;
    let rules = s
        .admin(Method::GET, "/v1/admin/risk/rules")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = s
        .admin(Method::PUT, "/v1/admin/risk/rules")
        .body(rules)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    admin_json(&s, Method::DELETE, "/v1/admin/suppliers/sms-b", None).await;
    let log = entries(&s, "").await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "supplier.delete",
            "risk.rules.replace",
            "tenant.verify_countries",
            "key.revoke",
            "tenant.limits",
            "key.create",
            "tenant.create"
        ]
    );
    let e = &log["entries"];
    assert_eq!(e[0]["before"]["id"], "sms-b");
    assert_eq!(e[0]["after"], Value::Null);
    assert_eq!(e[4]["before"], json!({"rate_per_s": {}, "daily_quota": {}}));
    assert_eq!(e[4]["after"]["rate_per_s"]["lookup"], 9);
    assert_eq!(e[5]["target"], key_id.as_str());
    assert_eq!(e[5]["after"]["mode"], "live");
    assert!(
        !log.to_string().contains(&key),
        "the key itself is never logged"
    );
    // Pages of two, back to the first change.
    let mut seen = vec![];
    let mut query = "?limit=2".to_string();
    loop {
        let page = entries(&s, &query).await;
        for e in page["entries"].as_array().unwrap() {
            seen.push(e["action"].as_str().unwrap().to_string());
        }
        match page["next_before"].as_i64() {
            Some(b) => query = format!("?limit=2&before={b}"),
            None => break,
        }
    }
    assert_eq!(seen, actions);
}

#[tokio::test]
async fn the_audit_log_is_for_the_admin_and_its_paging_is_checked() {
    let s = TestServer::start().await;
    problem(
        s.get("/v1/admin/audit").send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    for (q, field) in [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?before=0", "before"),
    ] {
        let b = problem(
            s.admin(Method::GET, &format!("/v1/admin/audit{q}"))
                .send()
                .await
                .unwrap(),
            422,
            "invalid_request",
        )
        .await;
        assert_eq!(b["field"], field);
    }
    problem(
        s.admin(Method::GET, "/v1/admin/audit?limit=ten")
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
}
