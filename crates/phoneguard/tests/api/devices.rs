//! Device identity (issue 21): publishable keys and CORS, `POST /v1/devices`,
//! device tokens in risk events, the SDK and its demo page.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};

pub const ORIGIN: &str = "https://shop.example";

/// Creates a tenant (or uses the default one with `None`) and a publishable key for it.
pub async fn publishable(
    s: &TestServer,
    tenant: Option<&str>,
    origins: &[&str],
) -> (String, String) {
    let tenant_id = match tenant {
        Some(name) => {
            let (st, t) = json(
                s.admin(Method::POST, "/v1/admin/tenants")
                    .json(&json!({ "name": name }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(st, 201, "{t}");
            t["id"].as_str().unwrap().to_string()
        }
        None => {
            let (_, t) = json(
                s.admin(Method::GET, "/v1/admin/tenants")
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            t["tenants"][0]["id"].as_str().unwrap().to_string()
        }
    };
    let (st, k) = json(
        s.admin(Method::POST, &format!("/v1/admin/tenants/{tenant_id}/keys"))
            .json(&json!({"mode": "publishable", "allowed_origins": origins}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{k}");
    assert_eq!(k["mode"], "publishable");
    (tenant_id, k["key"].as_str().unwrap().to_string())
}

/// A desktop Chrome's signals.
pub fn browser() -> Value {
    json!({
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "client_hints": {"brands": ["Chromium", "Google Chrome", "Not_A Brand"], "mobile": false, "platform": "Windows"},
        "platform": "Win32", "languages": ["zh-CN", "en"], "timezone": "Asia/Shanghai",
        "screen": {"width": 1920, "height": 1080, "color_depth": 24}, "hardware_concurrency": 8,
        "device_memory": 8, "touch_points": 0, "canvas_hash": "9f2c41aa07d3e5b1",
        "webgl_renderer": "ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)",
        "webdriver": false, "storage": true
    })
}

pub async fn register(s: &TestServer, key: &str, doc: &Value) -> (u16, Value) {
    json(
        s.client
            .post(s.url("/v1/devices"))
            .bearer_auth(key)
            .header("origin", ORIGIN)
            .json(doc)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub fn codes(r: &Value) -> Vec<String> {
    r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn publishable_keys_are_shown_once_listed_with_origins_and_refused_everywhere_else() {
    let s = TestServer::start().await;
    let (tenant, key) = publishable(&s, None, &[ORIGIN]).await;
    assert!(key.starts_with("pub_test_"), "{key}");
    let (st, keys) = json(
        s.admin(Method::GET, &format!("/v1/admin/tenants/{tenant}/keys"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let listed = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["mode"] == "publishable")
        .expect("listed");
    assert_eq!(listed["allowed_origins"], json!([ORIGIN]));
    assert!(!keys.to_string().contains(&key), "never shown again");
    // Anywhere but POST /v1/devices: 403, including the admin API.
    for (method, path) in [
        (Method::POST, "/v1/risk/register"),
        (Method::GET, "/v1/numbers/13800138000"),
        (Method::GET, "/v1/admin/tenants"),
    ] {
        let resp = s
            .client
            .request(method, s.url(path))
            .bearer_auth(&key)
            .json(&json!({"account": "a"}))
            .send()
            .await
            .unwrap();
        problem(resp, 403, "forbidden").await;
    }
    // A secret key is refused on POST /v1/devices.
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .bearer_auth(&s.key)
        .json(&browser())
        .send()
        .await
        .unwrap();
    problem(resp, 403, "forbidden").await;
    // Bad key requests.
    for body in [
        json!({"mode": "publishable"}),
        json!({"mode": "publishable", "allowed_origins": ["https://*.shop.example"]}),
        json!({"mode": "publishable", "allowed_origins": ["https://shop.example/path"]}),
        json!({"mode": "test", "allowed_origins": [ORIGIN]}),
    ] {
        let resp = s
            .admin(Method::POST, &format!("/v1/admin/tenants/{tenant}/keys"))
            .json(&body)
            .send()
            .await
            .unwrap();
        problem(resp, 422, "invalid_request").await;
    }
    // Revoked: 401.
    let id = listed["id"].as_str().unwrap();
    let (st, _) = json(
        s.admin(Method::DELETE, &format!("/v1/admin/keys/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .bearer_auth(&key)
        .json(&browser())
        .send()
        .await
        .unwrap();
    problem(resp, 401, "unauthorized").await;
    s.stop().await;
}

#[tokio::test]
async fn cors_answers_only_the_allowed_origins() {
    let s = TestServer::start().await;
    let (_, key) = publishable(&s, None, &[ORIGIN]).await;
    let preflight = |origin: &'static str| {
        s.client
            .request(Method::OPTIONS, s.url("/v1/devices"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let ok = preflight(ORIGIN).await.unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(ok.headers()["access-control-allow-origin"], ORIGIN);
    assert!(
        ok.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let evil = preflight("https://evil.example").await.unwrap();
    assert!(
        !evil.headers().contains_key("access-control-allow-origin"),
        "no CORS for another origin"
    );
    // The request itself: allowed origin → CORS header; another origin → 403, no CORS.
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .bearer_auth(&key)
        .header("origin", ORIGIN)
        .json(&browser())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], ORIGIN);
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .bearer_auth(&key)
        .header("origin", "https://evil.example")
        .json(&browser())
        .send()
        .await
        .unwrap();
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
    problem(resp, 403, "forbidden").await;
    // An origin another tenant's key allows is still refused with this key.
    let (_, _) = publishable(&s, Some("other"), &["https://other.example"]).await;
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .bearer_auth(&key)
        .header("origin", "https://other.example")
        .json(&browser())
        .send()
        .await
        .unwrap();
    problem(resp, 403, "forbidden").await;
    s.stop().await;
}

#[tokio::test]
async fn devices_keep_their_id_are_matched_back_and_documents_are_checked() {
    let s = TestServer::start().await;
    let (_, key) = publishable(&s, None, &[ORIGIN]).await;
    let (st, first) = register(&s, &key, &browser()).await;
    assert_eq!(st, 200, "{first}");
    let id = first["device_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("dev_"), "{id}");
    assert_eq!(first["matched_by"], "new");
    assert_eq!(first["signals"]["headless"], false, "{first}");
    assert!(first["device_token"].as_str().unwrap().starts_with("dt1."));
    // Same storage: same id.
    let mut again = browser();
    again["device_id"] = json!(id);
    let (_, r) = register(&s, &key, &again).await;
    assert_eq!(
        (r["device_id"].as_str(), r["matched_by"].as_str()),
        (Some(id.as_str()), Some("stored"))
    );
    // Storage lost, same fingerprint: matched back.
    let (_, r) = register(&s, &key, &browser()).await;
    assert_eq!(
        (r["device_id"].as_str(), r["matched_by"].as_str()),
        (Some(id.as_str()), Some("matched"))
    );
    // A forged stored id: not kept, flagged as tampering.
    let mut forged = browser();
    forged["device_id"] = json!("dev_0123456789abcdef0123456789abcdef");
    let (_, r) = register(&s, &key, &forged).await;
    assert_eq!(
        r["device_id"].as_str(),
        Some(id.as_str()),
        "matched back: {r}"
    );
    assert_eq!(r["signals"]["tampering"], true, "{r}");
    // A weak fingerprint (user agent only) is never matched back.
    let weak = json!({"user_agent": "Mozilla/5.0"});
    let (_, a) = register(&s, &key, &weak).await;
    let (_, b) = register(&s, &key, &weak).await;
    assert_ne!(a["device_id"], b["device_id"]);
    // Headless: the UA alone does not clear webdriver.
    let mut bot = browser();
    bot["webdriver"] = json!(true);
    let (_, r) = register(&s, &key, &bot).await;
    assert_eq!(
        (
            r["signals"]["headless"].as_bool(),
            r["signals"]["webdriver"].as_bool()
        ),
        (Some(true), Some(true))
    );
    // Mobile fields are accepted.
    let app = json!({"android_id": "9774d56d682e549c", "model": "sdk_gphone64_x86_64", "os_version": "14",
        "emulator": true, "rooted": false});
    let (st, r) = register(&s, &key, &app).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["signals"]["emulator"], true);
    // Hostile documents.
    for (doc, field) in [
        (json!({"colour": 1}), "colour"),
        (json!({"languages": "en"}), "body"),
        (json!({"screen": {"width": -1}}), "body"),
        (json!({"device_id": "abc"}), "device_id"),
        (json!({"user_agent": "x".repeat(1025)}), "user_agent"),
        (
            json!({"hardware_concurrency": 100000}),
            "hardware_concurrency",
        ),
        (json!([1, 2]), "body"),
    ] {
        let resp = s
            .client
            .post(s.url("/v1/devices"))
            .bearer_auth(&key)
            .json(&doc)
            .send()
            .await
            .unwrap();
        let p = problem(resp, 422, "invalid_request").await;
        assert_eq!(p["field"], field, "{doc}: {p}");
    }
    let big = json!({"user_agent": "x".repeat(9000)});
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .bearer_auth(&key)
        .json(&big)
        .send()
        .await
        .unwrap();
    problem(resp, 413, "payload_too_large").await;
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    problem(resp, 400, "invalid_request").await;
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .json(&browser())
        .send()
        .await
        .unwrap();
    problem(resp, 401, "unauthorized").await;
    let resp = s
        .client
        .post(s.url("/v1/devices"))
        .bearer_auth("pub_test_nope")
        .json(&browser())
        .send()
        .await
        .unwrap();
    problem(resp, 401, "unauthorized").await;
    s.stop().await;
}

/// Flips one character of a base64url string.
fn flip(s: &str, at: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap()
}

#[tokio::test]
async fn forged_tokens_are_device_token_invalid_and_valid_ones_set_the_device() {
    let s = TestServer::start().await;
    let (_, key) = publishable(&s, None, &[ORIGIN]).await;
    let (_, other_key) = publishable(&s, Some("other"), &[ORIGIN]).await;
    let (_, d) = register(&s, &key, &browser()).await;
    let token = d["device_token"].as_str().unwrap().to_string();
    let device = d["device_id"].as_str().unwrap().to_string();
    let (_, od) = register(&s, &other_key, &browser()).await;
    let other_token = od["device_token"].as_str().unwrap().to_string();

    let event = |account: &str, token: &str| {
        json!({"account": account, "ip": "58.30.12.9", "run_env": 2, "move_count": 80,
            "click_count": 5, "key_count": 20, "operating_time": 30, "device_token": token})
    };
    // Valid: the device is the one issued, no token reason.
    let (st, r) = json(
        s.post("/v1/risk/register", &event("u-1", &token))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert!(
        !codes(&r).contains(&"device_token_invalid".to_string()),
        "{r}"
    );
    let (st, dev) = json(
        s.get(&format!("/v1/risk/devices/{device}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{dev}");
    assert_eq!(dev["fingerprints"], 1, "{dev}");
    assert_eq!(dev["signals"]["headless"], false, "{dev}");

    // Changed id (payload edited), other tenant, truncated, garbage, tag edited.
    let (body, tag) = token.trim_start_matches("dt1.").split_once('.').unwrap();
    let forged = [
        format!("dt1.{}.{tag}", flip(body, 10)),
        format!("dt1.{body}.{}", flip(tag, 3)),
        other_token.clone(),
        token[..token.len() - 5].to_string(),
        "dt1.e30.AAAA".to_string(),
        "not-a-token".to_string(),
    ];
    for (i, t) in forged.iter().enumerate() {
        let (st, r) = json(
            s.post("/v1/risk/register", &event(&format!("f-{i}"), t))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 200, "{r}");
        let reason = r["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == "device_token_invalid")
            .unwrap_or_else(|| panic!("{t}: {r}"));
        assert_eq!(reason["risk_type"], 3);
        assert!(
            r["risk_types"].as_array().unwrap().contains(&json!(3)),
            "{r}"
        );
    }
    // The GeYan compat field: deviceToken.
    let (st, r) = json(
        s.post(
            "/compat/geyan/check-register",
            &json!({"account": "g-1", "ip": "58.30.12.9", "deviceToken": forged[0]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    let rk = r["data"]["data"]["token"].as_str().unwrap();
    let (_, full) = json(
        s.get(&format!("/v1/risk/results/{rk}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        codes(&full).contains(&"device_token_invalid".to_string()),
        "{full}"
    );
    // Another tenant's valid token is never trusted as a device id.
    let (st, _) = json(
        s.get(&format!(
            "/v1/risk/devices/{}",
            od["device_id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 404);
    // A bare device_id is accepted, marked unverified (the engine's features, via eval).
    let (st, r) = json(
        s.post(
            "/v1/risk/register",
            &json!({"account": "b-1", "device_id": "dev-bare"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert!(!codes(&r).contains(&"device_token_invalid".to_string()));
    s.stop().await;
}

#[tokio::test]
async fn a_farm_of_thirty_accounts_on_one_fingerprint_is_a_risky_device() {
    let s = TestServer::start().await;
    let (_, key) = publishable(&s, None, &[ORIGIN]).await;
    let mut device = String::new();
    for i in 0..30 {
        // The farm clears storage before each account: matched back by fingerprint.
        let (st, d) = register(&s, &key, &browser()).await;
        assert_eq!(st, 200, "{d}");
        device = d["device_id"].as_str().unwrap().to_string();
        let (st, r) = json(
            s.post("/v1/risk/register", &json!({"account": format!("farm-{i}"), "ip": format!("58.30.{i}.9"),
                "run_env": 2, "move_count": 80, "click_count": 5, "key_count": 20, "operating_time": 30,
                "device_token": d["device_token"]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 200, "{r}");
    }
    let (st, dev) = json(
        s.get(&format!("/v1/risk/devices/{device}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{dev}");
    assert!(dev["level"].as_u64().unwrap() >= 3, "{dev}");
    assert_eq!(dev["accounts"], 30, "{dev}");
    assert_eq!(dev["ips"], 30, "{dev}");
    assert_eq!(dev["fingerprints"], 1, "{dev}");
    assert!(
        dev["risk_types"].as_array().unwrap().contains(&json!(3)),
        "{dev}"
    );
    s.stop().await;
}

#[tokio::test]
async fn the_sdk_is_cached_by_etag_and_the_demo_takes_only_publishable_keys() {
    let s = TestServer::start().await;
    let resp = s
        .client
        .get(s.url("/sdk/v1/device.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let js = resp.text().await.unwrap();
    assert!(
        js.contains("phoneguard") && js.len() < 8 * 1024,
        "{} bytes",
        js.len()
    );
    let resp = s
        .client
        .get(s.url("/sdk/v1/device.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    let resp = s
        .client
        .get(s.url("/sdk/v1/demo?key=pub_test_abc123"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"device-id\"") && html.contains("id=\"device-signals\""));
    for bad in ["pk_test_abc", "pub_test_%22%3Balert(1)", ""] {
        let resp = s
            .client
            .get(s.url(&format!("/sdk/v1/demo?key={bad}")))
            .send()
            .await
            .unwrap();
        problem(resp, 422, "invalid_request").await;
    }
    s.stop().await;
}
