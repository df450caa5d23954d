//! Supplier administration: live changes, write-only credentials, validation,
//! the master key at start, and the stats of call records.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem, test_config};

pub const MASTER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const APPCODE: &str = "appcode-secret-83359fd73fe94948";

pub async fn start_with_master_key() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut c = test_config(&dir.path().join("pg.db"));
    c.master_key = Some(MASTER.into());
    TestServer::start_with(c, dir).await
}

pub async fn admin_json(
    s: &TestServer,
    m: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = s.admin(m, path);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    if resp.status() == 204 {
        return (204, Value::Null);
    }
    json(resp).await
}

#[tokio::test]
async fn the_default_sandbox_supplier_is_configured_on_first_start() {
    let s = TestServer::start().await;
    let (st, b) = admin_json(&s, Method::GET, "/v1/admin/suppliers", None).await;
    assert_eq!(st, 200);
    let list = b["suppliers"].as_array().unwrap();
    assert_eq!(
        list.len(),
        5,
        "sandbox, carrier-sandbox + the messaging seeds sms-a, sms-b, voice-a: {b}"
    );
    assert_eq!(list[0]["id"], "carrier-sandbox");
    assert_eq!(list[0]["capabilities"], json!(["carrier_auth"]));
    assert_eq!(list[1]["id"], "sandbox");
    assert_eq!(
        list[1]["capabilities"],
        json!(["status", "tenure", "portability", "identity"])
    );
    problem(
        s.get("/v1/admin/suppliers").send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn suppliers_are_added_changed_disabled_and_deleted_live_with_write_only_credentials() {
    let s = start_with_master_key().await;
    let body = json!({"id": "aliyun-a", "kind": "aliyun_market_status", "capabilities": ["status"],
        "weight": 5, "price_milli": 30, "options": {"base_url": "http://127.0.0.1:9"}, "credentials": {"appcode": APPCODE}});
    let (st, b) = admin_json(&s, Method::POST, "/v1/admin/suppliers", Some(body.clone())).await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["has_credentials"], true);
    assert!(
        !b.to_string().contains(APPCODE),
        "credentials are never echoed"
    );
    let (st, _) = admin_json(&s, Method::POST, "/v1/admin/suppliers", Some(body)).await;
    assert_eq!(st, 409);
    let (_, got) = admin_json(&s, Method::GET, "/v1/admin/suppliers/aliyun-a", None).await;
    assert!(!got.to_string().contains(APPCODE));
    assert_eq!(got["price_milli"], 30);
    let (st, b) = admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/sandbox",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!((st, b["enabled"].as_bool()), (200, Some(false)));
    // Test keys reach sandbox suppliers only; the sandbox is now off: no supplier.
    let e = problem(
        s.get("/v1/numbers/13800138000?fields=status")
            .send()
            .await
            .unwrap(),
        503,
        "supplier_unavailable",
    )
    .await;
    assert_eq!(e["capability"], "status");
    admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/sandbox",
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(
        s.get("/v1/numbers/13800138000?fields=status")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (st, _) = admin_json(&s, Method::DELETE, "/v1/admin/suppliers/aliyun-a", None).await;
    assert_eq!(st, 204);
    let (st, _) = admin_json(&s, Method::GET, "/v1/admin/suppliers/aliyun-a", None).await;
    assert_eq!(st, 404);
    s.stop().await;
}

#[tokio::test]
async fn invalid_suppliers_are_refused_naming_the_field() {
    let s = TestServer::start().await;
    for (body, field) in [
        (
            json!({"id": "Bad Id", "kind": "sandbox", "capabilities": ["status"]}),
            "id",
        ),
        (
            json!({"id": "x", "kind": "smoke", "capabilities": ["status"]}),
            "kind",
        ),
        (
            json!({"id": "x", "kind": "sandbox", "capabilities": []}),
            "capabilities",
        ),
        (
            json!({"id": "x", "kind": "sandbox", "capabilities": ["status"], "carriers": ["att"]}),
            "carriers",
        ),
        (
            json!({"id": "x", "kind": "sandbox", "capabilities": ["status"], "options": {"fail_rate": 2}}),
            "options.fail_rate",
        ),
        (
            json!({"id": "x", "kind": "aliyun_market_status", "capabilities": ["status"]}),
            "credentials.appcode",
        ),
        (
            json!({"id": "x", "kind": "http", "capabilities": ["status"], "options": {"status": {"url": "x", "response": {"result": {"pointer": "/a", "map": {"1": "fine"}}}}}}),
            "options.status.response.result.map",
        ),
        (
            json!({"id": "x", "kind": "sandbox", "capabilities": ["status"], "credentials": {"k": "v"}}),
            "credentials",
        ),
    ] {
        let b = problem(
            s.admin(Method::POST, "/v1/admin/suppliers")
                .json(&body)
                .send()
                .await
                .unwrap(),
            422,
            "invalid_request",
        )
        .await;
        assert_eq!(b["field"], field, "{body}: {b}");
    }
    s.stop().await;
}

#[tokio::test]
async fn credentials_without_a_master_key_stop_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = test_config(&dir.path().join("pg.db"));
    c.suppliers.seed.push(
        serde_json::from_value(json!({"id": "ali", "kind": "aliyun_market_status",
        "capabilities": ["status"], "credentials": {"appcode": "x"}}))
        .unwrap(),
    );
    let e = c.validate().unwrap_err();
    assert_eq!(e.key, "master_key");
    assert!(e.message.contains("PHONEGUARD_MASTER_KEY"), "{e}");
    c.master_key = Some(MASTER.into());
    c.validate().unwrap();
    let (_, _) = phoneguard::start::prepare(&c).await.unwrap();
    c.master_key = None;
    c.suppliers.seed.clear();
    let e = phoneguard::start::prepare(&c)
        .await
        .err()
        .expect("stored credentials need the key")
        .to_string();
    assert!(
        e.contains("PHONEGUARD_MASTER_KEY") && e.contains("ali"),
        "{e}"
    );
    c.master_key = Some("ab".repeat(32).into());
    let e = phoneguard::start::prepare(&c)
        .await
        .err()
        .expect("another key cannot decrypt")
        .to_string();
    assert!(e.contains("master"), "{e}");
}

#[tokio::test]
async fn stats_count_calls_per_supplier_and_per_tenant() {
    let s = TestServer::start().await;
    for _ in 0..3 {
        s.get("/v1/numbers/13800138000?fields=status,tenure")
            .send()
            .await
            .unwrap();
    }
    let (st, b) = admin_json(&s, Method::GET, "/v1/admin/stats?window=3600", None).await;
    assert_eq!(st, 200, "{b}");
    let sup = &b["suppliers"][0];
    assert_eq!(
        (
            sup["supplier_id"].as_str(),
            sup["calls"].as_i64(),
            sup["successes"].as_i64()
        ),
        (Some("sandbox"), Some(6), Some(6))
    );
    assert!(
        sup["p50_ms"].as_f64().unwrap() >= 0.0
            && sup["p95_ms"].as_f64().unwrap() >= sup["p50_ms"].as_f64().unwrap()
    );
    assert_eq!(b["tenants"][0]["calls"], json!({"status": 3, "tenure": 3}));
    let (st, _) = admin_json(&s, Method::GET, "/v1/admin/stats?window=0", None).await;
    assert_eq!(st, 422);
    s.stop().await;
}

/// The README's "Adding a real supplier": with a master key, the create, the
/// PATCH and the DELETE after it answer 201, 200, 204; a placeholder APPCODE
/// is refused saying what is wrong with it (not just "required"), without
/// echoing it; and without a master key the answer says how to make one.
#[tokio::test]
async fn adding_a_real_supplier_as_the_readme_shows_works_and_says_what_is_wrong() {
    let body = |appcode: &str| {
        json!({"id": "kz-status", "kind": "aliyun_market_status", "capabilities": ["status"],
            "options": {"base_url": "https://kzmstatev1.market.alicloudapi.com"},
            "credentials": {"appcode": appcode}})
    };
    let post = |s: &TestServer, b: Value| s.admin(Method::POST, "/v1/admin/suppliers").json(&b);
    let plain = TestServer::start().await;
    let e = problem(
        post(&plain, body(APPCODE)).send().await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(e["field"], "credentials", "{e}");
    assert!(
        e["detail"]
            .as_str()
            .unwrap()
            .contains("openssl rand -hex 32"),
        "{e}"
    );
    plain.stop().await;

    let s = start_with_master_key().await;
    let e = problem(
        post(&s, body("your AppCode")).send().await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(e["field"], "credentials.appcode", "{e}");
    let detail = e["detail"].as_str().unwrap();
    assert!(detail.contains("a space at character 5"), "{e}");
    assert!(!detail.contains("your AppCode"), "never echoed: {e}");
    let (st, b) = admin_json(&s, Method::POST, "/v1/admin/suppliers", Some(body(APPCODE))).await;
    assert_eq!(st, 201, "{b}");
    let path = "/v1/admin/suppliers/kz-status";
    let (st, b) = admin_json(&s, Method::PATCH, path, Some(json!({"weight": 30}))).await;
    assert_eq!((st, &b["weight"]), (200, &json!(30)), "{b}");
    let (st, _) = admin_json(&s, Method::DELETE, path, None).await;
    assert_eq!(st, 204);
    s.stop().await;
}
