//! Rate limits and daily quotas per tenant and per key: 429 `rate_limited` /
//! `quota_exceeded` with `Retry-After` and `RateLimit-*` headers, settings by
//! the admin API and by `[limits]`, and test keys kept to sandbox suppliers.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem, test_config};
use crate::suppliers::{APPCODE, MASTER, admin_json};

/// The id of tenant `default` (the one the bootstrap key belongs to).
pub async fn default_tenant(s: &TestServer) -> String {
    let (_, b) = admin_json(s, Method::GET, "/v1/admin/tenants", None).await;
    b["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "default")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn put_limits(s: &TestServer, path: &str, body: Value) -> Value {
    let (st, b) = admin_json(s, Method::PUT, path, Some(body)).await;
    assert_eq!(st, 200, "{b}");
    b
}

fn header(r: &Response, name: &str) -> Option<u64> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().parse().unwrap())
}

#[tokio::test]
async fn a_tenant_past_its_rate_limit_gets_429_rate_limited_with_retry_after() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    put_limits(
        &s,
        &format!("/v1/admin/tenants/{tenant}/limits"),
        json!({"rate_per_s": {"lookup": 1}}),
    )
    .await;
    // One request a second: a quick run of requests meets the limit.
    let mut admitted = 0;
    let refused = loop {
        let r = s.get("/v1/numbers/13800138000").send().await.unwrap();
        if r.status() == 429 {
            break r;
        }
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "ratelimit-limit"), Some(1));
        assert_eq!(header(&r, "ratelimit-remaining"), Some(0));
        admitted += 1;
        assert!(admitted < 50, "50 requests never met a limit of 1/s");
    };
    assert!(admitted >= 1, "the first request is within the burst");
    let retry = header(&refused, "retry-after").expect("Retry-After");
    assert_eq!(retry, 1, "at 1/s the next request fits within a second");
    assert_eq!(header(&refused, "ratelimit-limit"), Some(1));
    assert_eq!(header(&refused, "ratelimit-remaining"), Some(0));
    assert!(header(&refused, "ratelimit-reset").is_some());
    let b = problem(refused, 429, "rate_limited").await;
    assert_eq!(b["capability"], "lookup");
    assert_eq!(b["scope"], "tenant");
    // Other capabilities are not limited by it.
    let (st, _) = json(
        s.post("/v1/risk/register", &json!({"account": "a1"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn a_daily_quota_admits_exactly_its_calls_then_answers_quota_exceeded_until_midnight() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    put_limits(
        &s,
        &format!("/v1/admin/tenants/{tenant}/limits"),
        json!({"daily_quota": {"lookup": 3}}),
    )
    .await;
    for remaining in [2, 1, 0] {
        let r = s.get("/v1/numbers/13800138000").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "ratelimit-limit"), Some(3));
        assert_eq!(header(&r, "ratelimit-remaining"), Some(remaining));
        let reset = header(&r, "ratelimit-reset").unwrap();
        assert!((1..=86_400).contains(&reset), "{reset}");
    }
    let r = s.get("/v1/numbers/13800138000").send().await.unwrap();
    let retry = header(&r, "retry-after").unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    assert_eq!(header(&r, "ratelimit-remaining"), Some(0));
    let b = problem(r, 429, "quota_exceeded").await;
    assert_eq!(b["limit"], 3);
    // An invalid number is refused before the quota is looked at.
    problem(
        s.get("/v1/numbers/12").send().await.unwrap(),
        422,
        "invalid_number",
    )
    .await;
}

#[tokio::test]
async fn a_batch_counts_each_number_against_the_quota() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    put_limits(
        &s,
        &format!("/v1/admin/tenants/{tenant}/limits"),
        json!({"daily_quota": {"lookup": 3}}),
    )
    .await;
    let batch = |n: usize| json!({"numbers": vec!["13800138000"; n]});
    let r = s.post("/v1/numbers/batch", &batch(2)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "ratelimit-remaining"), Some(1));
    problem(
        s.post("/v1/numbers/batch", &batch(2)).send().await.unwrap(),
        429,
        "quota_exceeded",
    )
    .await;
    let r = s.post("/v1/numbers/batch", &batch(1)).send().await.unwrap();
    assert_eq!(r.status(), 200, "a refused batch took nothing");
}

#[tokio::test]
async fn a_key_limit_holds_that_key_only_and_the_tenant_limit_holds_every_key() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    let (_, k) = admin_json(
        &s,
        Method::POST,
        &format!("/v1/admin/tenants/{tenant}/keys"),
        Some(json!({"mode": "test"})),
    )
    .await;
    let (key_id, second) = (k["id"].as_str().unwrap(), k["key"].as_str().unwrap());
    let b = put_limits(
        &s,
        &format!("/v1/admin/keys/{key_id}/limits"),
        json!({"daily_quota": {"risk": 1}}),
    )
    .await;
    assert_eq!(b["effective"]["daily_quota"]["risk"], 1);
    let risk = |key: &str| {
        s.client
            .post(s.url("/v1/risk/login"))
            .bearer_auth(key)
            .json(&json!({"account": "u1"}))
            .send()
    };
    assert_eq!(risk(second).await.unwrap().status(), 200);
    let b = problem(risk(second).await.unwrap(), 429, "quota_exceeded").await;
    assert_eq!(b["scope"], "key");
    assert_eq!(risk(&s.key).await.unwrap().status(), 200, "the other key");
    put_limits(
        &s,
        &format!("/v1/admin/tenants/{tenant}/limits"),
        json!({"daily_quota": {"risk": 2}}),
    )
    .await;
    // A quota set during the day counts the calls made from then on.
    assert_eq!(risk(&s.key).await.unwrap().status(), 200);
    assert_eq!(risk(&s.key).await.unwrap().status(), 200);
    let b = problem(risk(&s.key).await.unwrap(), 429, "quota_exceeded").await;
    assert_eq!(b["scope"], "tenant");
}

#[tokio::test]
async fn limits_are_read_back_and_bad_settings_are_refused_naming_the_field() {
    let s = TestServer::start().await;
    let tenant = default_tenant(&s).await;
    let path = format!("/v1/admin/tenants/{tenant}/limits");
    let (st, b) = admin_json(&s, Method::GET, &path, None).await;
    assert_eq!(st, 200);
    assert_eq!(b["effective"]["rate_per_s"]["lookup"], Value::Null);
    put_limits(
        &s,
        &path,
        json!({"rate_per_s": {"lookup": 50, "identity": 10}, "daily_quota": {"identity": 1000}}),
    )
    .await;
    let (_, b) = admin_json(&s, Method::GET, &path, None).await;
    assert_eq!(b["rate_per_s"], json!({"lookup": 50, "identity": 10}));
    assert_eq!(b["daily_quota"], json!({"identity": 1000}));
    assert_eq!(b["effective"]["rate_per_s"]["identity"], 10);
    assert_eq!(b["effective"]["daily_quota"]["lookup"], Value::Null);
    for (body, field) in [
        (json!({"rate_per_s": {"lookup": 0}}), "rate_per_s.lookup"),
        (
            json!({"daily_quota": {"risk": 5_000_000_000_000u64}}),
            "daily_quota.risk",
        ),
    ] {
        let b = problem(
            s.admin(Method::PUT, &path)
                .json(&body)
                .send()
                .await
                .unwrap(),
            422,
            "invalid_request",
        )
        .await;
        assert_eq!(b["field"], field, "{b}");
    }
    let b = problem(
        s.admin(Method::PUT, &path)
            .json(&json!({"rate_per_s": {"teleport": 3}}))
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("teleport"), "{b}");
    problem(
        s.admin(Method::PUT, "/v1/admin/tenants/ten_nope/limits")
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        s.admin(Method::GET, "/v1/admin/keys/key_nope/limits")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        s.client
            .put(s.url(&path))
            .bearer_auth(&s.key)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn config_defaults_apply_to_every_tenant_unless_its_settings_lift_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = test_config(&dir.path().join("pg.db"));
    c.limits
        .daily_quota
        .insert(phoneguard_core::limits::ApiCapability::Identity, 1);
    let s = TestServer::start_with(c, dir).await;
    let identity = || {
        s.post(
            "/v1/identity/match",
            &json!({"phone": "13800138000", "name": "张三"}),
        )
        .send()
    };
    assert_eq!(identity().await.unwrap().status(), 200);
    problem(identity().await.unwrap(), 429, "quota_exceeded").await;
    let tenant = default_tenant(&s).await;
    put_limits(
        &s,
        &format!("/v1/admin/tenants/{tenant}/limits"),
        json!({"daily_quota": {"identity": null}}),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(identity().await.unwrap().status(), 200, "null: unlimited");
    }
}

#[test]
fn a_bad_limits_key_in_the_config_file_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[limits]\nrate_per_s = { verify = 0 }\n").unwrap();
    let e = phoneguard::config::load_from(
        Some(&file),
        &Default::default(),
        figment::providers::Env::prefixed("PHONEGUARD_TEST_NOTHING_"),
    )
    .unwrap_err();
    assert!(
        format!("{e:#}").contains("limits.rate_per_s.verify"),
        "{e:#}"
    );
}

/// Generous supplier timeouts: these tests are about limits, not latency, and
/// must hold on a loaded machine.
fn patient(mut c: phoneguard::config::Config) -> phoneguard::config::Config {
    c.router.attempt_timeout_ms = 10_000;
    c.router.deadline_ms = 30_000;
    c
}

#[tokio::test]
async fn test_keys_never_reach_a_live_supplier_and_live_keys_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = patient(test_config(&dir.path().join("pg.db")));
    c.master_key = Some(MASTER.into());
    let s = TestServer::start_with(c, dir).await;
    let (st, b) = admin_json(
        &s,
        Method::POST,
        "/v1/admin/suppliers",
        Some(json!({"id": "aliyun-live", "kind": "aliyun_market_status", "capabilities": ["status"],
            "weight": 1000, "options": {"base_url": "http://127.0.0.1:9"}, "credentials": {"appcode": APPCODE}})),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    for _ in 0..10 {
        let (st, b) = json(
            s.get("/v1/numbers/13800138000?fields=status")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 200, "{b}");
        assert_eq!(b["status"]["supplier"], "sandbox");
    }
    let calls = |stats: &Value| {
        stats["suppliers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["supplier_id"] == "aliyun-live")
            .map_or(0, |x| x["calls"].as_i64().unwrap())
    };
    let (_, stats) = admin_json(&s, Method::GET, "/v1/admin/stats", None).await;
    assert_eq!(calls(&stats), 0, "a test key never calls a live supplier");
    let tenant = default_tenant(&s).await;
    let (_, k) = admin_json(
        &s,
        Method::POST,
        &format!("/v1/admin/tenants/{tenant}/keys"),
        Some(json!({"mode": "live"})),
    )
    .await;
    // A live key never falls back to the sandbox: the failing live supplier
    // (then its open breaker) makes every answer 503.
    for _ in 0..20 {
        let r = s
            .client
            .get(s.url("/v1/numbers/13800138000?fields=status"))
            .bearer_auth(k["key"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        problem(r, 503, "supplier_unavailable").await;
    }
    let (_, stats) = admin_json(&s, Method::GET, "/v1/admin/stats", None).await;
    assert!(calls(&stats) >= 1, "a live key reaches it: {stats}");
}
