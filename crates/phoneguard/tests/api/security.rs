//! Issue 18 items 9, 10 and 12 over HTTP: the admin token's rotation sticks
//! across restarts and ends dashboard sessions; failed admin authentication is
//! throttled per client address; `/metrics` is not for anonymous callers.

use reqwest::{Method, Response, StatusCode};
use tempfile::TempDir;

use crate::dashboard::{login, no_redirects, page, post_login};
use crate::harness::{ADMIN, TestServer, problem, test_config};

/// The token the admin rotates to.
const NEW: &str = "adm_rotated_token_9f8e7d6c5b4a3210";
/// `auth.max_failures` by default.
const DEFAULT_MAX_FAILURES: usize = 10;

/// Starts a server on the database of `dir`, with `token` configured (or none).
async fn start_on(dir: TempDir, token: Option<&str>) -> TestServer {
    let mut config = test_config(&dir.path().join("pg.db"));
    config.admin_token = token.map(Into::into);
    let (state, boot) = phoneguard::start::prepare(&config).await.unwrap();
    assert!(boot.admin_token.is_none(), "no token is generated here");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let key = boot.default_key.unwrap_or_default();
    TestServer::from_parts(listener, config, state, key, dir).await
}

async fn tenants_with(s: &TestServer, token: &str) -> StatusCode {
    s.client
        .get(s.url("/v1/admin/tenants"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_rotated_admin_token_sticks_after_a_restart_without_it_and_ends_old_sessions() {
    let s = start_on(tempfile::tempdir().unwrap(), Some(ADMIN)).await;
    let c = no_redirects();
    let (cookie, _) = login(&s, &c).await;
    assert_eq!(page(&s, &c, &cookie, "/dashboard").await.0, 200);
    let dir = s.stop().await;

    let s = start_on(dir, Some(NEW)).await;
    assert_eq!(tenants_with(&s, NEW).await, StatusCode::OK);
    assert_eq!(tenants_with(&s, ADMIN).await, StatusCode::UNAUTHORIZED);
    let (st, _) = page(&s, &c, &cookie, "/dashboard").await;
    assert_eq!(st, 303, "a session made with the old token ended");
    let dir = s.stop().await;

    let s = start_on(dir, None).await;
    assert_eq!(
        tenants_with(&s, NEW).await,
        StatusCode::OK,
        "a start without the variable keeps the rotated token"
    );
    assert_eq!(tenants_with(&s, ADMIN).await, StatusCode::UNAUTHORIZED);
    s.stop().await;
}

fn retry_after(r: &Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn wrong_admin_tokens_from_one_address_are_answered_429_even_with_a_forged_forwarded_for() {
    let s = TestServer::start().await;
    for i in 0..DEFAULT_MAX_FAILURES {
        let r = s
            .client
            .get(s.url("/v1/admin/tenants"))
            .bearer_auth(format!("adm_guess_{i:04}_0123456789abcdef"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .send()
            .await
            .unwrap();
        problem(r, 401, "unauthorized").await;
    }
    // The right token from the same address is refused too: a guess that
    // succeeds cannot be told apart from one that fails.
    let r = s
        .admin(Method::GET, "/v1/admin/tenants")
        .send()
        .await
        .unwrap();
    let wait = retry_after(&r);
    assert!(wait >= 1, "Retry-After {wait}");
    let body = problem(r, 429, "rate_limited").await;
    assert_eq!(body["limit"], "auth_failures", "{body}");
    let lookup = s.get("/v1/numbers/13800138000").send().await.unwrap();
    assert_eq!(lookup.status(), 200, "tenant calls are not throttled");
    s.stop().await;
}

#[tokio::test]
async fn wrong_dashboard_logins_from_one_address_are_answered_429() {
    let s = TestServer::start().await;
    let c = no_redirects();
    for i in 0..DEFAULT_MAX_FAILURES {
        let r = post_login(&s, &c, &format!("adm_guess_{i:04}_0123456789abcdef")).await;
        assert_eq!(r.status(), 303);
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .contains("failed=1")
        );
    }
    let r = post_login(&s, &c, ADMIN).await;
    assert!(retry_after(&r) >= 1);
    problem(r, 429, "rate_limited").await;
    s.stop().await;
}

#[tokio::test]
async fn metrics_are_refused_to_anonymous_callers_and_name_no_tenant() {
    let s = TestServer::start().await;
    s.get("/v1/numbers/13800138000").send().await.unwrap();
    let r = s.client.get(s.url("/metrics")).send().await.unwrap();
    let body = problem(r, 401, "unauthorized").await;
    assert!(!body.to_string().contains("ten_"), "{body}");
    let r = s.get("/metrics").send().await.unwrap();
    problem(r, 401, "unauthorized").await;
    let r = s.admin(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("tenant=\"ten_"));
    s.stop().await;
}

/// A server whose clients are named by `X-Forwarded-For` from loopback (a
/// trusted proxy), refusing an address after `max_failures` failed attempts.
async fn behind_proxy(max_failures: u32) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir.path().join("pg.db"));
    config.http.trusted_proxies = vec!["127.0.0.1".into()];
    config.auth.max_failures = max_failures;
    TestServer::start_with(config, dir).await
}

#[tokio::test]
async fn a_throttled_address_behind_a_trusted_proxy_does_not_lock_out_another() {
    let s = behind_proxy(3).await;
    let (attacker, admin) = ("203.0.113.5", "198.51.100.7");
    let admin_call = |from: &str, token: &str| {
        s.client
            .get(s.url("/v1/admin/tenants"))
            .bearer_auth(token)
            .header("x-forwarded-for", from)
            .send()
    };
    for _ in 0..3 {
        let r = admin_call(attacker, "adm_guess_0000_0123456789abcdef").await;
        assert_eq!(r.unwrap().status(), 401);
    }
    let r = admin_call(attacker, ADMIN).await.unwrap();
    problem(r, 429, "rate_limited").await;
    assert_eq!(admin_call(admin, ADMIN).await.unwrap().status(), 200);
    let c = no_redirects();
    let login_from = |from: &str| {
        c.post(s.url("/dashboard/login"))
            .header("x-forwarded-for", from)
            .form(&[("token", ADMIN)])
            .send()
    };
    assert_eq!(login_from(attacker).await.unwrap().status(), 429);
    let r = login_from(admin).await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers().contains_key("set-cookie"), "the admin logs in");
    s.stop().await;
}

/// A `metrics.token` of the tests.
const METRICS: &str = "mtr_scrape_token_0123456789abcdef";

#[tokio::test]
async fn a_metrics_token_reads_metrics_and_metrics_public_opens_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir.path().join("pg.db"));
    config.metrics.token = Some(METRICS.into());
    let s = TestServer::start_with(config, dir).await;
    let scrape = |token: &str| s.client.get(s.url("/metrics")).bearer_auth(token).send();
    assert_eq!(scrape(METRICS).await.unwrap().status(), 200);
    assert_eq!(scrape(ADMIN).await.unwrap().status(), 200);
    problem(scrape("mtr_wrong").await.unwrap(), 401, "unauthorized").await;
    s.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir.path().join("pg.db"));
    config.metrics.public = true;
    let s = TestServer::start_with(config, dir).await;
    let r = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200, "metrics.public = true needs no token");
    s.stop().await;
}
