//! The dashboard over plain HTTP: login, cookie flags, redirects, CSRF, logout,
//! a confirmed supplier change, and figures against the admin API.

use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use serde_json::json;

use crate::harness::{ADMIN, TestServer, json};

pub fn no_redirects() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// The answer to a login with `token`.
pub async fn post_login(s: &TestServer, c: &Client, token: &str) -> Response {
    c.post(s.url("/dashboard/login"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

/// Logs in and returns the `pg_dash=…` pair and the full Set-Cookie header.
pub async fn login(s: &TestServer, c: &Client) -> (String, String) {
    let r = post_login(s, c, ADMIN).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/dashboard?lang=en");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let pair = set.split(';').next().unwrap().to_string();
    (pair, set)
}

pub async fn page(s: &TestServer, c: &Client, cookie: &str, path: &str) -> (u16, String) {
    let r = c
        .get(s.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The value of the first hidden csrf field of a page.
fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 32].to_string()
}

fn location(r: &Response) -> &str {
    r.headers()["location"].to_str().unwrap()
}

#[tokio::test]
async fn without_a_session_every_dashboard_page_redirects_to_the_login_form() {
    let s = TestServer::start().await;
    let c = no_redirects();
    for path in [
        "/dashboard",
        "/dashboard/suppliers",
        "/dashboard/verifications",
        "/dashboard/risk",
        "/dashboard/tenants",
        "/dashboard/usage",
    ] {
        let r = c.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(location(&r), "/dashboard/login", "{path}");
        let forged = format!("pg_dash={}", "ab".repeat(32));
        let r = c
            .get(s.url(path))
            .header("cookie", forged)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "an unknown session id is refused: {path}");
    }
    let r = c.get(s.url("/dashboard/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("name=\"token\""), "{body}");
    assert!(body.contains("name=\"viewport\""));
}

#[tokio::test]
async fn a_wrong_token_is_sent_back_to_the_form_without_a_cookie_and_an_api_key_is_not_an_admin_token()
 {
    let s = TestServer::start().await;
    let c = no_redirects();
    for token in ["adm_wrong_token_0123456789", s.key.as_str(), ""] {
        let r = c
            .post(s.url("/dashboard/login"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{token}");
        assert_eq!(location(&r), "/dashboard/login?failed=1&lang=en");
        assert!(r.headers().get("set-cookie").is_none());
        let (st, html) = page(&s, &c, "", "/dashboard/login?failed=1&lang=en").await;
        assert_eq!(st, 200);
        assert!(html.contains("Invalid admin token"), "{html}");
        let (st, _) = page(&s, &c, "", "/dashboard").await;
        assert_eq!(st, 303, "still not logged in");
    }
    let (_, plain) = page(&s, &c, "", "/dashboard/login").await;
    assert!(!plain.contains("Invalid admin token"));
}

#[tokio::test]
async fn the_session_cookie_is_httponly_strict_scoped_to_the_dashboard_and_expires() {
    let s = TestServer::start().await;
    let c = no_redirects();
    let (pair, set) = login(&s, &c).await;
    let id = pair.strip_prefix("pg_dash=").unwrap();
    assert_eq!(id.len(), 64, "{set}");
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/dashboard",
        "Max-Age=28800",
    ] {
        assert!(set.contains(flag), "{flag} missing in {set}");
    }
    assert!(!set.contains("Secure"), "not configured: {set}");
    let (st, html) = page(&s, &c, &pair, "/dashboard").await;
    assert_eq!(st, 200);
    assert!(html.contains("Overview"));
    // The bytes of the database file (SQLite; on PostgreSQL the same code stores the
    // same hash, and the file check is the SQLite run's).
    let files = if crate::backend::is_postgres() {
        vec![]
    } else {
        let db = std::fs::read(s.dir.path().join("pg.db")).unwrap();
        let wal = std::fs::read(s.dir.path().join("pg.db-wal")).unwrap_or_default();
        vec![db, wal]
    };
    for bytes in files {
        assert!(
            !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
            "the session id is stored only as a hash"
        );
    }
}

#[tokio::test]
async fn the_cookie_is_secure_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::harness::test_config(&dir.path().join("pg.db"));
    config.dashboard.secure_cookie = true;
    config.dashboard.session_ttl_s = 600;
    let s = TestServer::start_with(config, dir).await;
    let (_, set) = login(&s, &no_redirects()).await;
    assert!(
        set.contains("; Secure") && set.contains("Max-Age=600"),
        "{set}"
    );
}

#[tokio::test]
async fn logout_needs_the_csrf_token_and_then_ends_the_session() {
    let s = TestServer::start().await;
    let c = no_redirects();
    let (pair, _) = login(&s, &c).await;
    let (_, html) = page(&s, &c, &pair, "/dashboard").await;
    let csrf = csrf_in(&html);
    let r = c
        .post(s.url("/dashboard/logout"))
        .header("cookie", &pair)
        .form(&[("csrf", "0".repeat(32))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a forged csrf token is refused");
    let (st, _) = page(&s, &c, &pair, "/dashboard").await;
    assert_eq!(st, 200, "the session survives a refused logout");
    let r = c
        .post(s.url("/dashboard/logout"))
        .header("cookie", &pair)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/dashboard/login");
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (st, _) = page(&s, &c, &pair, "/dashboard").await;
    assert_eq!(st, 303, "the old cookie no longer works");
}

#[tokio::test]
async fn a_weight_change_needs_csrf_and_confirmation_and_then_shows_in_the_admin_api() {
    let s = TestServer::start().await;
    let c = no_redirects();
    let (pair, _) = login(&s, &c).await;
    let (_, html) = page(&s, &c, &pair, "/dashboard/suppliers").await;
    assert!(html.contains("data-supplier=\"sms-a\""), "{html}");
    let csrf = csrf_in(&html);
    let post = |path: &str, fields: Vec<(&'static str, String)>| {
        c.post(s.url(path))
            .header("cookie", &pair)
            .form(&fields)
            .send()
    };
    let r = post(
        "/dashboard/suppliers/sms-a/confirm",
        vec![("weight", "7".into()), ("enabled", "true".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403, "no csrf field");
    let r = post(
        "/dashboard/suppliers/sms-a/confirm",
        vec![
            ("csrf", csrf.clone()),
            ("weight", "0".into()),
            ("enabled", "true".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422, "weight 0 is refused by name");
    assert!(r.text().await.unwrap().contains("weight"));
    let r = post(
        "/dashboard/suppliers/sms-a/confirm",
        vec![
            ("csrf", csrf.clone()),
            ("weight", "7".into()),
            ("enabled", "true".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let confirm = r.text().await.unwrap();
    assert!(
        confirm.contains("/dashboard/suppliers/sms-a/apply"),
        "{confirm}"
    );
    let (_, before) = json(
        s.admin(reqwest::Method::GET, "/v1/admin/suppliers/sms-a")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_ne!(
        before["weight"], 7,
        "nothing changes before the confirmation"
    );
    let r = post(
        "/dashboard/suppliers/sms-a/apply",
        vec![
            ("csrf", csrf.clone()),
            ("weight", "7".into()),
            ("enabled", "true".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422, "apply without confirm=yes is refused");
    let r = post(
        "/dashboard/suppliers/sms-a/apply",
        vec![
            ("csrf", csrf),
            ("weight", "7".into()),
            ("enabled", "true".into()),
            ("confirm", "yes".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("updated=sms-a"), "{}", location(&r));
    let (_, after) = json(
        s.admin(reqwest::Method::GET, "/v1/admin/suppliers/sms-a")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(after["weight"], 7);
}

#[tokio::test]
async fn disabling_a_supplier_on_the_dashboard_moves_new_verifications_to_the_other_at_once() {
    let s = TestServer::start().await;
    let c = no_redirects();
    let (pair, _) = login(&s, &c).await;
    apply_change(&s, &c, &pair, "sms-a", 20, false).await;
    for i in 0..5 {
        let phone = format!("1380013800{i}");
        let (st, v) = json(
            s.post(
                "/v1/verifications",
                &json!({"phone": phone, "channel": "sms", "purpose": "login"}),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["attempts"][0]["supplier"], "sms-b", "{v}");
    }
    let (_, html) = page(&s, &c, &pair, "/dashboard/verifications?window=1h").await;
    let table = &html[html.find("id=\"funnel-supplier\"").unwrap()..];
    assert!(
        table.contains("<td>sms-b</td><td>sms</td><td class=\"n\">5</td>"),
        "{table}"
    );
    let (_, overview) = page(&s, &c, &pair, "/dashboard").await;
    assert!(
        overview.contains("id=\"verifications-started\">5<"),
        "the overview counts the 5 verifications this test started"
    );
}

#[tokio::test]
async fn supplier_calls_on_the_page_match_the_stats_endpoint() {
    let s = TestServer::start().await;
    for i in 0..6 {
        let r = s
            .get(&format!("/v1/numbers/1390013900{i}?fields=status"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let (_, stats) = json(
        s.admin(reqwest::Method::GET, "/v1/admin/stats?window=3600")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let c = no_redirects();
    let (pair, _) = login(&s, &c).await;
    let (_, html) = page(&s, &c, &pair, "/dashboard/suppliers?window=1h&lang=zh").await;
    assert!(html.contains("供应商"), "Chinese labels with ?lang=zh");
    let mut total = 0;
    for sup in stats["suppliers"].as_array().unwrap() {
        let id = sup["supplier_id"].as_str().unwrap();
        let calls = sup["calls"].as_i64().unwrap();
        total += calls;
        let row = &html[html.find(&format!("data-supplier=\"{id}\"")).unwrap()..];
        let cell = &row[row.find("class=\"n calls\">").unwrap() + 16..];
        assert_eq!(
            cell[..cell.find('<').unwrap()].parse::<i64>().unwrap(),
            calls,
            "{id}"
        );
    }
    assert!(total >= 6, "{stats}");
    let (_, overview) = page(&s, &c, &pair, "/dashboard?window=1h").await;
    assert!(
        overview.contains(&format!("id=\"total-calls\">{total}<")),
        "overview total"
    );
    assert!(overview.contains("<svg"), "charts are inline SVG");
    let (st, body) = page(&s, &c, &pair, "/dashboard/usage?window=2h").await;
    assert_eq!(st, 422, "{body}");
    assert!(body.contains("window"));
}

#[tokio::test]
async fn a_form_over_the_body_limit_is_refused_with_413() {
    let s = TestServer::start().await;
    let big = format!("token={}", "a".repeat(10 * 1024 * 1024));
    let r = no_redirects()
        .post(s.url("/dashboard/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    let b = crate::harness::problem(r, 413, "payload_too_large").await;
    assert!(b["detail"].as_str().unwrap().contains("form"), "{b}");
    s.stop().await;
}

#[tokio::test]
async fn a_supplier_change_on_the_dashboard_is_in_the_audit_log_with_actor_dashboard() {
    let s = TestServer::start().await;
    let c = no_redirects();
    let (pair, _) = login(&s, &c).await;
    apply_change(&s, &c, &pair, "sms-a", 9, true).await;
    let (st, log) = json(
        s.admin(reqwest::Method::GET, "/v1/admin/audit")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{log}");
    let e = &log["entries"][0];
    assert_eq!(e["action"], "supplier.update", "{log}");
    assert_eq!(e["target"], "sms-a");
    assert_eq!(e["actor"], "dashboard");
    assert_eq!(e["after"]["weight"], 9);
    assert_ne!(e["before"]["weight"], 9);
}

/// Applies a confirmed weight / enabled change to supplier `id` from the
/// suppliers page, as the confirmation form does.
async fn apply_change(s: &TestServer, c: &Client, cookie: &str, id: &str, weight: u32, on: bool) {
    let (_, html) = page(s, c, cookie, "/dashboard/suppliers").await;
    let fields = [
        ("csrf", csrf_in(&html)),
        ("weight", weight.to_string()),
        ("enabled", on.to_string()),
        ("confirm", "yes".to_string()),
    ];
    let r = c
        .post(s.url(&format!("/dashboard/suppliers/{id}/apply")))
        .header("cookie", cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}
