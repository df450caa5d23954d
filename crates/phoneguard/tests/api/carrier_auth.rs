//! Carrier one-tap (issue 22) through HTTP: sandbox tokens, one-tap login,
//! `channel: "carrier"` and `auto` verifications, failover between
//! `carrier_auth` suppliers, usage, and the hostile cases.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};
use crate::limits::default_tenant;
use crate::live_keys::live_key;
use crate::suppliers::admin_json;
use crate::verify_support::{check, latest_code, sandbox, server_with, start};

const PHONE: &str = "13800138000";

/// A sandbox carrier token for `phone`, issued to `key`.
pub async fn token_for(s: &TestServer, key: &str, phone: &str, ttl_s: Option<u32>) -> String {
    let mut body = json!({ "phone": phone });
    if let Some(t) = ttl_s {
        body["ttl_s"] = json!(t);
    }
    let (st, b) = json(
        s.client
            .post(s.url("/v1/sandbox/carrier-tokens"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    let t = b["carrier_token"].as_str().unwrap().to_string();
    assert!(t.starts_with("ctk_"), "{b}");
    assert!(
        !t.contains(PHONE),
        "the number is not readable in the token"
    );
    t
}

async fn number(s: &TestServer, token: &str) -> reqwest::Response {
    s.post(
        "/v1/carrier-auth/number",
        &json!({ "carrier_token": token }),
    )
    .send()
    .await
    .unwrap()
}

fn channels(v: &Value) -> Vec<(String, String)> {
    v["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["channel"].as_str().unwrap().to_string(),
                a["delivery"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_tap_login_gives_the_number_once() {
    let s = TestServer::start().await;
    let t = token_for(&s, &s.key, PHONE, None).await;
    let (st, b) = json(number(&s, &t).await).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["phone"], "+8613800138000");
    assert_eq!(b["carrier"], "cmcc");
    assert_eq!(b["supplier"], "carrier-sandbox");
    let p = problem(number(&s, &t).await, 409, "token_used").await;
    assert_eq!(p["field"], "carrier_token");
    s.stop().await;
}

#[tokio::test]
async fn an_expired_token_is_token_expired_and_lifetimes_are_checked() {
    let s = TestServer::start().await;
    let t = token_for(&s, &s.key, PHONE, Some(1)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    problem(number(&s, &t).await, 409, "token_expired").await;
    for bad in [0, 3601] {
        let r = s
            .post(
                "/v1/sandbox/carrier-tokens",
                &json!({"phone": PHONE, "ttl_s": bad}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r, 422, "invalid_request").await["field"], "ttl_s");
    }
    s.stop().await;
}

#[tokio::test]
async fn hostile_tokens_and_callers_get_clear_4xx() {
    let s = TestServer::start().await;
    // No key.
    let r = s
        .client
        .post(s.url("/v1/carrier-auth/number"))
        .json(&json!({"carrier_token": "ctk_x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .client
        .post(s.url("/v1/sandbox/carrier-tokens"))
        .json(&json!({"phone": PHONE}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Made up, damaged, another tenant's.
    problem(
        number(&s, "ctk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await,
        422,
        "token_invalid",
    )
    .await;
    problem(
        number(&s, "STsid0000001512438403572hQSEygBwiYc9fIw0vbM").await,
        422,
        "token_invalid",
    )
    .await;
    let mine = token_for(&s, &s.key, PHONE, None).await;
    let mut damaged = mine.clone();
    damaged.insert(10, 'x');
    problem(number(&s, &damaged).await, 422, "token_invalid").await;
    let other = s.other_tenant_key("other").await;
    let theirs = token_for(&s, &other, PHONE, None).await;
    problem(number(&s, &theirs).await, 422, "token_invalid").await;
    // Their own token still works for them: the failed tries did not use it.
    let (st, b) = json(
        s.client
            .post(s.url("/v1/carrier-auth/number"))
            .bearer_auth(&other)
            .json(&json!({ "carrier_token": theirs }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, b["phone"].as_str()), (200, Some("+8613800138000")));
    // Malformed input.
    for (body, field) in [
        (json!({"carrier_token": ""}), "carrier_token"),
        (json!({"carrier_token": "a b"}), "carrier_token"),
        (json!({"carrier_token": "x".repeat(3000)}), "carrier_token"),
    ] {
        let r = s
            .post("/v1/carrier-auth/number", &body)
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r, 422, "invalid_request").await["field"], field);
    }
    for body in [
        json!({}),
        json!({"carrier_token": 5}),
        json!({"carrier_token": "x", "extra": 1}),
    ] {
        let st = s
            .post("/v1/carrier-auth/number", &body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!(st == 400 || st == 422, "{body}: {st}");
    }
    let r = s
        .post("/v1/sandbox/carrier-tokens", &json!({"phone": "12"}))
        .send()
        .await
        .unwrap();
    problem(r, 422, "invalid_number").await;
    // Live keys get no sandbox tokens, and never reach the sandbox supplier.
    let live = live_key(&s).await;
    let r = s
        .client
        .post(s.url("/v1/sandbox/carrier-tokens"))
        .bearer_auth(&live)
        .json(&json!({"phone": PHONE}))
        .send()
        .await
        .unwrap();
    problem(r, 403, "forbidden").await;
    let t = token_for(&s, &s.key, PHONE, None).await;
    let r = s
        .client
        .post(s.url("/v1/carrier-auth/number"))
        .bearer_auth(&live)
        .json(&json!({ "carrier_token": t }))
        .send()
        .await
        .unwrap();
    problem(r, 503, "supplier_unavailable").await;
    s.stop().await;
}

#[tokio::test]
async fn a_carrier_verification_is_decided_at_once() {
    let s = TestServer::start().await;
    let t = token_for(&s, &s.key, PHONE, None).await;
    let body =
        json!({"phone": PHONE, "channel": "carrier", "purpose": "login", "carrier_token": t});
    let (st, v) = start(&s, body.clone()).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["status"], "approved");
    assert_eq!(v["channel"], "carrier");
    assert_eq!(channels(&v), [("carrier".into(), "delivered".into())]);
    assert_eq!(v["attempts"][0]["supplier"], "carrier-sandbox");
    assert!(v.get("reason").is_none(), "{v}");
    // The same token again.
    let (st, p) = start(&s, body).await;
    assert_eq!((st, p["code"].as_str()), (409, Some("token_used")), "{p}");
    // The token of another number: failed, rejected.
    let t = token_for(&s, &s.key, "13900139000", None).await;
    let (st, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "carrier", "purpose": "login", "carrier_token": t}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["reason"].as_str()),
        (Some("failed"), Some("rejected"))
    );
    let (_, again) = json(
        s.get(&format!("/v1/verifications/{}", v["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(again["reason"], "rejected", "kept: {again}");
    // A decided verification takes no code.
    let (st, _) = check(&s, v["id"].as_str().unwrap(), "123456").await;
    assert_eq!(st, 409);
    // Hostile combinations.
    for (body, field) in [
        (
            json!({"phone": PHONE, "channel": "carrier", "purpose": "login"}),
            "carrier_token",
        ),
        (
            json!({"phone": PHONE, "channel": "sms", "purpose": "login", "carrier_token": "ctk_x"}),
            "carrier_token",
        ),
        (
            json!({"phone": PHONE, "purpose": "login", "carrier_token": "ctk_x"}),
            "carrier_token",
        ),
        (
            json!({"phone": PHONE, "channel": "carrier", "purpose": "login", "carrier_token": ""}),
            "carrier_token",
        ),
    ] {
        let (st, p) = start(&s, body.clone()).await;
        assert_eq!((st, p["field"].as_str()), (422, Some(field)), "{body}: {p}");
    }
    let (st, p) = start(
        &s,
        json!({"phone": "12", "channel": "carrier", "purpose": "login", "carrier_token": "ctk_x"}),
    )
    .await;
    assert_eq!((st, p["code"].as_str()), (422, Some("invalid_number")));
    let (st, p) = start(&s, json!({"phone": PHONE, "channel": "carrier", "purpose": "login", "carrier_token": "ctk_nope"})).await;
    assert_eq!((st, p["code"].as_str()), (422, Some("token_invalid")));
    s.stop().await;
}

#[tokio::test]
async fn auto_falls_back_to_sms_in_the_same_verification() {
    let s = TestServer::start().await;
    // A pass needs no code.
    let t = token_for(&s, &s.key, PHONE, None).await;
    let (st, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "auto", "purpose": "login", "carrier_token": t}),
    )
    .await;
    assert_eq!((st, v["status"].as_str()), (201, Some("approved")), "{v}");
    // A reject sends a code by SMS, in the same verification.
    let t = token_for(&s, &s.key, "13900139000", None).await;
    let (st, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "auto", "purpose": "login", "carrier_token": t}),
    )
    .await;
    assert_eq!((st, v["status"].as_str()), (201, Some("pending")), "{v}");
    assert_eq!(
        channels(&v),
        [
            ("carrier".into(), "failed".into()),
            ("sms".into(), "sent".into())
        ]
    );
    assert_eq!(v["channel"], "sms");
    let code = latest_code(&s, PHONE).await;
    let (st, c) = check(&s, v["id"].as_str().unwrap(), &code).await;
    assert_eq!((st, c["status"].as_str()), (200, Some("approved")), "{c}");
    s.stop().await;
}

#[tokio::test]
async fn auto_falls_back_to_sms_when_no_carrier_supplier_answers_and_carrier_alone_is_503() {
    let s = server_with(|c| {
        c.suppliers.seed.retain(|x| x.id != "carrier-sandbox");
        c.suppliers.seed.push(sandbox(
            "carrier-dead",
            "carrier_auth",
            10,
            json!({"fail_rate": 1.0}),
        ));
    })
    .await;
    let t = token_for(&s, &s.key, PHONE, None).await;
    let (st, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "auto", "purpose": "login", "carrier_token": t}),
    )
    .await;
    assert_eq!((st, v["status"].as_str()), (201, Some("pending")), "{v}");
    assert_eq!(
        channels(&v),
        [("sms".into(), "sent".into())],
        "the outage left no carrier attempt"
    );
    let (st, p) = start(
        &s,
        json!({"phone": PHONE, "channel": "carrier", "purpose": "login", "carrier_token": t}),
    )
    .await;
    assert_eq!(
        (st, p["code"].as_str()),
        (503, Some("supplier_unavailable")),
        "{p}"
    );
    problem(number(&s, &t).await, 503, "supplier_unavailable").await;
    s.stop().await;
}

#[tokio::test]
async fn a_dead_carrier_supplier_fails_over_to_a_live_one_and_every_exchange_is_counted() {
    let s = server_with(|c| {
        c.suppliers.seed.push(sandbox(
            "carrier-dead",
            "carrier_auth",
            1000,
            json!({"fail_rate": 1.0}),
        ));
    })
    .await;
    for i in 0..12 {
        let phone = format!("138001380{i:02}");
        let t = token_for(&s, &s.key, &phone, None).await;
        let (st, b) = json(number(&s, &t).await).await;
        assert_eq!(st, 200, "exchange {i}: {b}");
        assert_eq!(b["supplier"], "carrier-sandbox");
        assert_eq!(b["phone"], format!("+86{phone}"));
    }
    let tenant = default_tenant(&s).await;
    let (st, u) = admin_json(
        &s,
        Method::GET,
        &format!("/v1/admin/usage?tenant={tenant}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{u}");
    let row = u["usage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["capability"] == "carrier_auth")
        .unwrap_or_else(|| panic!("no carrier_auth row in {u}"));
    assert_eq!(row["calls"], 12, "{row}");
    assert!(row["supplier_calls"].as_i64().unwrap() >= 12, "{row}");
    s.stop().await;
}

/// The rows of the first table after `id="{card}"` on a dashboard page, each
/// as its cells' text.
fn card_rows(html: &str, card: &str) -> Vec<Vec<String>> {
    let from = html
        .find(&format!("id=\"{card}\""))
        .unwrap_or_else(|| panic!("no card {card} in {html}"));
    let rest = &html[from..];
    let body = &rest[rest
        .find("<tbody>")
        .unwrap_or_else(|| panic!("no rows in {card}: {rest}"))..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|tr| {
            tr.split("<td")
                .skip(1)
                .map(|td| {
                    let text = &td[td.find('>').unwrap() + 1..];
                    text[..text.find('<').unwrap()].to_string()
                })
                .collect()
        })
        .collect()
}

/// The row of `rows` whose first cells are `keys`.
fn row<'a>(rows: &'a [Vec<String>], keys: &[&str]) -> &'a [String] {
    rows.iter()
        .find(|r| r.iter().zip(keys).all(|(c, k)| c == k))
        .unwrap_or_else(|| panic!("no row {keys:?} in {rows:?}"))
}

#[tokio::test]
async fn carrier_attempts_feed_the_funnel_and_the_conversion_figures_per_channel() {
    use crate::dashboard::{login, no_redirects, page};
    let s = TestServer::start().await;
    // Three carrier passes and one reject, all China Mobile numbers.
    for i in 0..3 {
        let phone = format!("1380013801{i}");
        let t = token_for(&s, &s.key, &phone, None).await;
        let (st, v) = start(
            &s,
            json!({"phone": phone, "channel": "carrier", "purpose": "login", "carrier_token": t}),
        )
        .await;
        assert_eq!((st, v["status"].as_str()), (201, Some("approved")), "{v}");
    }
    let t = token_for(&s, &s.key, "13900139000", None).await;
    let (st, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "carrier", "purpose": "login", "carrier_token": t}),
    )
    .await;
    assert_eq!((st, v["status"].as_str()), (201, Some("failed")), "{v}");
    // `auto` on a China Unicom number: the carrier rejects, the SMS code is
    // entered.
    let unicom = "18600186000";
    let t = token_for(&s, &s.key, "13900139001", None).await;
    let (st, v) = start(
        &s,
        json!({"phone": unicom, "channel": "auto", "purpose": "login", "carrier_token": t}),
    )
    .await;
    assert_eq!((st, v["status"].as_str()), (201, Some("pending")), "{v}");
    let sms_supplier = v["attempts"][1]["supplier"].as_str().unwrap().to_string();
    let code = latest_code(&s, unicom).await;
    let (st, c) = check(&s, v["id"].as_str().unwrap(), &code).await;
    assert_eq!((st, c["status"].as_str()), (200, Some("approved")), "{c}");

    let c = no_redirects();
    let (pair, _) = login(&s, &c).await;
    let (st, html) = page(&s, &c, &pair, "/dashboard/verifications?window=1h").await;
    assert_eq!(st, 200, "{html}");
    // By the channel asked for: started, delivered (passed), approved, rate.
    let by_channel = card_rows(&html, "funnel-channel");
    assert_eq!(
        row(&by_channel, &["carrier"]),
        ["carrier", "4", "3", "3", "75.0%"]
    );
    let auto = row(&by_channel, &["auto"]);
    assert_eq!((&auto[1], &auto[3]), (&"1".to_string(), &"1".to_string()));
    // By attempt: the carrier exchanges (4 + the one `auto` made), 3 passed
    // and converted; the SMS after the carrier reject is no failover.
    let by_supplier = card_rows(&html, "funnel-supplier");
    assert_eq!(
        row(&by_supplier, &["carrier-sandbox", "carrier"]),
        ["carrier-sandbox", "carrier", "5", "3", "3", "0"]
    );
    let sms = row(&by_supplier, &[&sms_supplier, "sms"]);
    assert_eq!(
        (&sms[2], &sms[4], &sms[5]),
        (&"1".into(), &"1".into(), &"0".into()),
        "{sms:?}"
    );
    // Conversion per supplier and mobile carrier, on the suppliers page.
    let (_, html) = page(&s, &c, &pair, "/dashboard/suppliers?window=1h").await;
    let conversion = card_rows(&html, "conversion");
    assert_eq!(
        row(&conversion, &["carrier-sandbox", "cmcc"]),
        ["carrier-sandbox", "cmcc", "4", "3", "75.0%"]
    );
    let (_, overview) = page(&s, &c, &pair, "/dashboard?window=1h").await;
    assert!(
        overview.contains("id=\"verifications-started\">5<"),
        "the overview counts the 5 verifications this test started"
    );
    s.stop().await;
}
