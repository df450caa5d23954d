//! Live keys and sandbox suppliers: a `pk_live_` key never reaches a `sandbox`
//! supplier, whatever else is enabled (lookups and code sends alike); a live
//! request that no real supplier can take is 503 `supplier_unavailable`,
//! never an answer made up by the sandbox.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};
use crate::suppliers::{admin_json, start_with_master_key};
use crate::vendor_fake::{fake_http, response};

/// A new live key of tenant `default`.
pub async fn live_key(s: &TestServer) -> String {
    let tenant = crate::limits::default_tenant(s).await;
    let (_, k) = admin_json(
        s,
        Method::POST,
        &format!("/v1/admin/tenants/{tenant}/keys"),
        Some(json!({"mode": "live"})),
    )
    .await;
    let key = k["key"].as_str().unwrap_or_else(|| panic!("{k}"));
    assert!(key.starts_with("pk_live_"), "{k}");
    key.to_string()
}

/// Adds `supplier` (admin JSON) to `s` and returns a new live key.
pub async fn live_key_with_supplier(s: &TestServer, supplier: Value) -> String {
    let (st, b) = admin_json(s, Method::POST, "/v1/admin/suppliers", Some(supplier)).await;
    assert_eq!(st, 201, "{b}");
    live_key(s).await
}

/// Options of an `http` line-status supplier at `base`: the key in a custom
/// header, the number in a JSON body, `{"result": "1"}` read as `normal`.
pub fn status_endpoint(base: &str) -> Value {
    json!({"status": {
        "method": "POST", "url": format!("{base}/status"),
        "headers": {"X-Api-Key": "{{ credentials.api_key }}"},
        "json": {"mobile": "{{ phone }}"},
        "response": {"result": {"pointer": "/result", "map": {"1": "normal"}}}
    }})
}

/// `GET /v1/numbers/{phone}?fields=status` with `key`.
pub async fn status_with(s: &TestServer, key: &str, phone: &str) -> reqwest::Response {
    s.client
        .get(s.url(&format!("/v1/numbers/{phone}?fields=status")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

/// `POST {path}` of `body` with `key`.
pub async fn post_with(s: &TestServer, key: &str, path: &str, body: Value) -> reqwest::Response {
    s.client
        .post(s.url(path))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_live_key_never_gets_a_sandbox_answer_while_the_sandbox_supplier_stays_enabled() {
    let (vendor, seen) = fake_http(|_| response("200 OK", &[], r#"{"result": "1"}"#)).await;
    let s = start_with_master_key().await;
    // Weight 1 against the seeded sandbox's 10: were the sandbox eligible, it
    // would take nearly every lookup.
    let live = live_key_with_supplier(
        &s,
        json!({"id": "vendor-a", "kind": "http", "capabilities": ["status"], "weight": 1,
            "options": status_endpoint(&vendor), "credentials": {"api_key": "key-1"}}),
    )
    .await;
    for i in 0..20 {
        let (st, b) = json(status_with(&s, &live, &format!("138001380{i:02}")).await).await;
        assert_eq!(
            (st, b["status"]["supplier"].as_str()),
            (200, Some("vendor-a")),
            "live lookup {i}: {b}"
        );
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        20,
        "every live lookup asked the vendor"
    );
    let (st, b) = json(status_with(&s, &s.key, "13800138000").await).await;
    assert_eq!(
        (st, b["status"]["supplier"].as_str()),
        (200, Some("sandbox")),
        "{b}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        20,
        "a test key never reaches the vendor"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_live_request_that_no_real_supplier_can_take_is_503_never_a_sandbox_answer() {
    // Only the seeded sandbox suppliers: `sandbox`, `sms-a`, `sms-b`, `voice-a`.
    let s = TestServer::start().await;
    let live = live_key(&s).await;
    let body = problem(
        status_with(&s, &live, "13800138000").await,
        503,
        "supplier_unavailable",
    )
    .await;
    assert_eq!(body["capability"], "status", "{body}");
    problem(
        post_with(
            &s,
            &live,
            "/v1/identity/match",
            json!({"phone": "13800138000", "name": "张三", "id_number": "11010519491231002X"}),
        )
        .await,
        503,
        "supplier_unavailable",
    )
    .await;
    for (i, channel) in ["sms", "voice", "flash_call", "auto"]
        .into_iter()
        .enumerate()
    {
        let phone = format!("139001390{i:02}");
        problem(
            post_with(
                &s,
                &live,
                "/v1/verifications",
                json!({"phone": phone, "channel": channel, "purpose": "login"}),
            )
            .await,
            503,
            "supplier_unavailable",
        )
        .await;
        let messages = crate::verify_support::messages(&s, &phone).await;
        assert!(
            messages.is_empty(),
            "{channel}: the sandbox sent nothing: {messages:?}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn a_live_key_sends_codes_through_the_real_supplier_only_while_sandbox_ones_stay_enabled() {
    let (base, seen) = crate::verify_receipts::fake_twilio().await;
    let s = start_with_master_key().await;
    // Weight 1 against the seeded sandbox `sms-a` (20) and `sms-b` (10), and no
    // real voice supplier while the sandbox `voice-a` has a caller pool.
    let live = live_key_with_supplier(
        &s,
        json!({"id": "twilio-a", "kind": "twilio", "capabilities": ["sms"], "weight": 1,
            "options": {"base_url": base, "from": "+15005550006"},
            "credentials": {"account_sid": "AC5f1c", "auth_token": "token-5f1c"}}),
    )
    .await;
    for (i, channel) in ["sms", "sms", "auto"].into_iter().enumerate() {
        let r = post_with(
            &s,
            &live,
            "/v1/verifications",
            json!({"phone": format!("137001370{i:02}"), "channel": channel, "purpose": "login"}),
        )
        .await;
        let (st, v) = json(r).await;
        assert_eq!(st, 201, "{channel}: {v}");
        assert_eq!(v["channel"], "sms", "auto falls back to SMS: {v}");
        assert_eq!(v["attempts"][0]["supplier"], "twilio-a", "{v}");
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        3,
        "each code went to the vendor"
    );
    s.stop().await;
}
