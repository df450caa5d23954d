use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};

/// The anti-fraud seed's own example (its pwd is the MD5 of 123456), in snake_case.
fn seed_event() -> Value {
    json!({
        "account": "69B64959969AF7DB11C5ED182495FB2E", "email": "69B64959969AF7DB11C5ED182495FB2E",
        "pn": "6E3652F544C1352516CF1997039F0660", "pwd": "E10ADC3949BA59ABBE56E057F20F883E",
        "nick_name": "nickName", "register_time": "1521440310", "run_env": "4", "move_count": "1",
        "click_count": "3", "key_count": "10", "operating_time": "60", "ip": "192.168.1.3", "app_ver": "1.1.0",
        "mac": "", "idfa": "1E2DFA89-496A-47FD-9941-DF1FC4E6484A", "referrer": "https://www.getui.com",
        "x_forward_for": "https://www.getui.com", "result": "1", "reason": "0"
    })
}

/// An ordinary sign-up from a home broadband address.
pub fn human(account: &str, ip: &str) -> Value {
    json!({
        "account": account, "ip": ip, "run_env": 5, "move_count": 140, "click_count": 9, "key_count": 38,
        "operating_time": 41, "device_id": format!("dev-{account}"),
        "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
    })
}

#[tokio::test]
async fn the_seed_example_is_an_account_risk_because_of_its_common_password() {
    let s = TestServer::start().await;
    let (st, r) = json(
        s.post("/v1/risk/register", &seed_event())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert!(r["level"].as_u64().unwrap() >= 1, "{r}");
    assert!(
        r["risk_types"].as_array().unwrap().contains(&json!(1)),
        "account risk: {r}"
    );
    let reasons: Vec<&str> = r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"common_password"), "{reasons:?}");
    assert_eq!(r["decision"], "review");
    // `rk_` and 32 base62 characters: about 190 random bits.
    let token = r["token"].as_str().unwrap();
    let random = token.strip_prefix("rk_").expect("rk_ prefix");
    assert_eq!(random.len(), 32, "{token}");
    assert!(random.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
    s.stop().await;
}

#[tokio::test]
async fn an_ordinary_signup_is_safe_and_readable_by_its_token() {
    let s = TestServer::start().await;
    let (st, r) = json(
        s.post("/v1/risk/register", &human("u-1001", "58.30.12.7"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(
        (r["level"].as_u64(), r["decision"].as_str()),
        (Some(0), Some("allow")),
        "{r}"
    );
    let token = r["token"].as_str().unwrap();
    let (st, again) = json(
        s.get(&format!("/v1/risk/results/{token}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(again["level"], r["level"]);
    assert_eq!(again["token"], r["token"]);
    problem(
        s.get("/v1/risk/results/rk_doesnotexist")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn a_burst_of_registrations_from_one_ip_raises_the_level_with_a_network_reason() {
    let s = TestServer::start().await;
    let mut last = Value::Null;
    for i in 0..40 {
        let (_, r) = json(
            s.post(
                "/v1/risk/register",
                &human(&format!("bot-{i}"), "36.110.5.9"),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        last = r;
    }
    assert!(last["level"].as_u64().unwrap() >= 2, "{last}");
    assert!(
        last["risk_types"].as_array().unwrap().contains(&json!(2)),
        "{last}"
    );
    let details: Vec<&str> = last["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("40")),
        "the reason quotes the velocity: {details:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn results_are_private_to_their_tenant() {
    let s = TestServer::start().await;
    let (_, r) = json(
        s.post("/v1/risk/login", &human("u-2", "58.30.12.8"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = r["token"].as_str().unwrap().to_string();
    let other = &s.other_tenant_key("other").await;
    let resp = s
        .client
        .get(s.url(&format!("/v1/risk/results/{token}")))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    problem(resp, 404, "not_found").await;
    let resp = s
        .client
        .get(s.url("/v1/risk/devices/dev-u-2"))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    problem(resp, 404, "not_found").await;
    s.stop().await;
}

#[tokio::test]
async fn a_device_used_by_many_accounts_is_reported_with_its_accounts_and_events() {
    let s = TestServer::start().await;
    // Four IPv4 addresses and two of one IPv6 /64: five networks.
    for i in 0..6 {
        let ip = if i < 4 {
            format!("58.30.{i}.9")
        } else {
            format!("2001:db8:1:2::{i}")
        };
        let mut e = human(&format!("farm-{i}"), &ip);
        e["device_id"] = json!("farm-phone-1");
        json(s.post("/v1/risk/register", &e).send().await.unwrap()).await;
    }
    let (st, d) = json(s.get("/v1/risk/devices/farm-phone-1").send().await.unwrap()).await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(
        (d["accounts"].as_i64(), d["events"].as_i64()),
        (Some(6), Some(6)),
        "{d}"
    );
    assert_eq!(d["ips"].as_i64(), Some(5), "an IPv6 /64 counts once: {d}");
    assert!(d["level"].as_u64().unwrap() >= 1, "{d}");
    assert!(
        d["risk_types"].as_array().unwrap().contains(&json!(3)),
        "device risk: {d}"
    );
    assert!(d["first_seen"].is_string());
    problem(
        s.get("/v1/risk/devices/never-seen").send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn bad_fields_are_named() {
    let s = TestServer::start().await;
    for (body, field) in [
        (json!({"ip": "1.2.3.4"}), "account"),
        (json!({"account": "a", "run_env": 13}), "run_env"),
        (json!({"account": "a", "run_env": "web"}), "run_env"),
        (json!({"account": "a", "ip": "999.1.1.1"}), "ip"),
        (json!({"account": "a", "pwd": "123456"}), "pwd"),
        (json!({"account": "a", "click_count": -1}), "click_count"),
    ] {
        let b = problem(
            s.post("/v1/risk/register", &body).send().await.unwrap(),
            422,
            "invalid_request",
        )
        .await;
        assert_eq!(b["field"], field, "{body}: {b}");
    }
    let r = s
        .client
        .post(s.url("/v1/risk/login"))
        .bearer_auth(&s.key)
        .header("content-type", "application/json")
        .body("[1,2]")
        .send()
        .await
        .unwrap();
    problem(r, 422, "invalid_request").await;
    let r = s
        .client
        .post(s.url("/v1/risk/login"))
        .bearer_auth(&s.key)
        .body("{oops")
        .send()
        .await
        .unwrap();
    problem(r, 400, "invalid_request").await;
    s.stop().await;
}

#[tokio::test]
async fn the_geyan_compat_endpoints_speak_the_seed_envelope() {
    let s = TestServer::start().await;
    let seed = json!({
        "account": "69B64959969AF7DB11C5ED182495FB2E", "pn": "6E3652F544C1352516CF1997039F0660",
        "pwd": "E10ADC3949BA59ABBE56E057F20F883E", "nickName": "nickName", "registerTime": "1521440310",
        "loginTime": "1521440310", "runEnv": "4", "moveCount": "1", "clickCount": "3", "keyCount": "10",
        "operatingTime": "60", "ip": "192.168.1.3", "appVer": "1.1.0", "mac": "",
        "idfa": "1E2DFA89-496A-47FD-9941-DF1FC4E6484A", "referrer": "https://www.getui.com",
        "xForwardFor": "https://www.getui.com", "result": "1", "reason": "0", "loginType": "1"
    });
    for path in ["/compat/geyan/check-register", "/compat/geyan/check-login"] {
        let (st, r) = json(s.post(path, &seed).send().await.unwrap()).await;
        assert_eq!(st, 200);
        assert_eq!(r["errno"], 0);
        assert_eq!(r["data"]["result"], 20000);
        assert_eq!(r["data"]["msg"], "成功");
        let inner = &r["data"]["data"];
        assert!(inner["level"].as_u64().unwrap() >= 1, "{r}");
        assert!(
            inner["riskType"].as_array().unwrap().contains(&json!(1)),
            "{r}"
        );
        let token = inner["token"].as_str().unwrap();
        assert_eq!(
            s.get(&format!("/v1/risk/results/{token}"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    // A snake_case name is read too, never silently dropped: the same bad
    // value sent as `run_env` is refused the same way.
    for field in ["runEnv", "run_env"] {
        let (st, r) = json(
            s.post(
                "/compat/geyan/check-register",
                &json!({"account": "a", field: "99"}),
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(
            (st, r["data"]["result"].as_i64()),
            (200, Some(40001)),
            "{field}: {r}"
        );
        assert!(
            r["data"]["msg"].as_str().unwrap().contains("runEnv"),
            "the seed's field name: {r}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn rules_can_be_replaced_live_and_a_broken_file_is_refused_by_rule_id() {
    let s = TestServer::start().await;
    let (st, _) = json(
        s.post("/v1/risk/register", &human("u-9", "58.30.12.9"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let current = s
        .admin(Method::GET, "/v1/admin/risk/rules")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(current.contains("common_password"));

    let broken = format!(
        "{current}\n[[rule]]\nid = \"oops\"\ndescription = \"x\"\nrisk_type = 1\nscore = 10\nwhen = \"account ==\"\nreason = \"x\"\n"
    );
    let b = problem(
        s.admin(Method::PUT, "/v1/admin/risk/rules")
            .body(broken)
            .send()
            .await
            .unwrap(),
        422,
        "invalid_rules",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("oops"), "{b}");
    let still = s
        .admin(Method::GET, "/v1/admin/risk/rules")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(still, current, "the old rules stay");

    // A rule set where every event scores 100 puts every event at level 4.
    let strict = current.replacen("\n[[rule]]\n", "\n[[rule]]\nid = \"everything\"\ndescription = \"all\"\nrisk_type = 4\nscore = 100\nwhen = \"true\"\nreason = \"everything is risky\"\n\n[[rule]]\n", 1);
    let (st, body) = json(
        s.admin(Method::PUT, "/v1/admin/risk/rules")
            .body(strict)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let (_, r) = json(
        s.post("/v1/risk/register", &human("u-10", "58.30.12.10"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (r["level"].as_u64(), r["decision"].as_str()),
        (Some(4), Some("deny")),
        "{r}"
    );
    problem(
        s.admin(Method::POST, "/v1/admin/risk/rules/reload")
            .send()
            .await
            .unwrap(),
        409,
        "conflict",
    )
    .await;
    s.stop().await;
}
