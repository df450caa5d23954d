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
fn human(account: &str, ip: &str) -> Value {
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
    let (_, t) = json(
        s.admin(Method::POST, "/v1/admin/tenants")
            .json(&json!({"name": "other"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (_, k) = json(
        s.admin(
            Method::POST,
            &format!("/v1/admin/tenants/{}/keys", t["id"].as_str().unwrap()),
        )
        .json(&json!({"mode": "test"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let other = k["key"].as_str().unwrap();
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
    for i in 0..6 {
        let mut e = human(&format!("farm-{i}"), &format!("58.30.{i}.9"));
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
    let (st, r) = json(
        s.post(
            "/compat/geyan/check-register",
            &json!({"account": "a", "runEnv": "99"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (st, r["data"]["result"].as_i64()),
        (200, Some(40001)),
        "{r}"
    );
    assert!(
        r["data"]["msg"].as_str().unwrap().contains("runEnv"),
        "the seed's field name: {r}"
    );
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

/// `GET /v1/admin/stats` of the last hour.
async fn stats(s: &TestServer) -> Value {
    let (st, stats) = json(
        s.admin(Method::GET, "/v1/admin/stats?window=3600")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{stats}");
    stats
}

/// Status calls made for any tenant, from `/v1/admin/stats`.
fn status_calls(stats: &Value) -> i64 {
    stats["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["calls"]["status"].as_i64())
        .sum()
}

fn reason_codes(r: &Value) -> Vec<String> {
    r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap().to_string())
        .collect()
}

async fn signup_with_phone(s: &TestServer, pn: &str) -> Value {
    let mut event = human(&format!("u-{pn}"), "58.30.12.7");
    event["pn"] = json!(pn);
    let (st, r) = json(s.post("/v1/risk/register", &event).send().await.unwrap()).await;
    assert_eq!(st, 200, "{r}");
    r
}

#[tokio::test]
async fn with_line_status_on_a_suspended_phone_is_an_account_risk_and_a_normal_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::harness::test_config(&dir.path().join("pg.db"));
    config.risk.line_status = true;
    let s = TestServer::start_with(config, dir).await;
    let put = s
        .client
        .put(s.url("/v1/sandbox/subscribers/13800138000"))
        .bearer_auth(&s.key)
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    let r = signup_with_phone(&s, "13800138000").await;
    assert!(reason_codes(&r).contains(&"phone_line_bad".into()), "{r}");
    let bad = r["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "phone_line_bad")
        .unwrap();
    assert!(
        bad["detail"].as_str().unwrap().contains("suspended"),
        "{bad}"
    );
    assert!(r["risk_types"].as_array().unwrap().contains(&json!(1)));
    let stats = stats(&s).await;
    assert_eq!(
        status_calls(&stats),
        1,
        "one status call per event: {stats}"
    );

    // Never set: the sandbox answers `normal`, which raises nothing.
    let r = signup_with_phone(&s, "13900139000").await;
    assert!(
        !reason_codes(&r)
            .iter()
            .any(|c| c.starts_with("phone_line") || c == "line_status_unavailable"),
        "{r}"
    );

    // With no status supplier left, the event is still assessed, and says why the line was not checked.
    let off = s
        .admin(Method::PATCH, "/v1/admin/suppliers/sandbox")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 200);
    let r = signup_with_phone(&s, "13800138000").await;
    let codes = reason_codes(&r);
    assert!(codes.contains(&"line_status_unavailable".into()), "{r}");
    assert!(!codes.contains(&"phone_line_bad".into()), "{r}");
    s.stop().await;
}

#[tokio::test]
async fn line_status_is_not_asked_unless_the_operator_turns_it_on() {
    let s = TestServer::start().await;
    s.client
        .put(s.url("/v1/sandbox/subscribers/13800138000"))
        .bearer_auth(&s.key)
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    let r = signup_with_phone(&s, "13800138000").await;
    let codes = reason_codes(&r);
    assert!(!codes.contains(&"phone_line_bad".into()), "{r}");
    assert!(!codes.contains(&"line_status_unavailable".into()), "{r}");
    // No status call was made: the stats show none.
    let stats = stats(&s).await;
    assert_eq!(status_calls(&stats), 0, "{stats}");
    s.stop().await;
}

/// A sign-up identified only by its MAC (no `device_id`, no IDFA).
fn by_mac(account: &str, mac: &str) -> Value {
    let mut e = human(account, "58.30.12.7");
    e.as_object_mut().unwrap().remove("device_id");
    e["mac"] = json!(mac);
    e
}

#[tokio::test]
async fn strangers_sharing_the_null_mac_of_android_and_ios_are_not_one_device() {
    let s = TestServer::start().await;
    for (account, mac) in [
        ("stranger-1", "02:00:00:00:00:00"),
        ("stranger-2", "02:00:00:00:00:00"),
        ("stranger-3", "02-00-00-00-00-00"),
        ("stranger-4", "00:00:00:00:00:00"),
    ] {
        let (st, r) = json(
            s.post("/v1/risk/register", &by_mac(account, mac))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 200, "{r}");
    }
    for null in [
        "02:00:00:00:00:00",
        "02-00-00-00-00-00",
        "00:00:00:00:00:00",
    ] {
        problem(
            s.get(&format!("/v1/risk/devices/{null}"))
                .send()
                .await
                .unwrap(),
            404,
            "not_found",
        )
        .await;
    }

    // A real MAC is one device however it is written, as the engine counts it.
    for (account, mac) in [
        ("mac-1", "AA:BB:CC:00:11:22"),
        ("mac-2", "aa-bb-cc-00-11-22"),
    ] {
        json(
            s.post("/v1/risk/register", &by_mac(account, mac))
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
    for written in ["AA:BB:CC:00:11:22", "aabbcc001122"] {
        let (st, d) = json(
            s.get(&format!("/v1/risk/devices/{written}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 200, "{written}: {d}");
        assert_eq!(
            (d["accounts"].as_i64(), d["events"].as_i64()),
            (Some(2), Some(2)),
            "{written}: {d}"
        );
    }
    s.stop().await;
}

/// The shipped rules with one more rule that fires on every event with a score of
/// 100, so every event is at level 4 (`deny`).
fn rules_denying_everything() -> String {
    phoneguard_risk::DEFAULT_RULES_TOML.replacen(
        "\n[[rule]]\n",
        "\n[[rule]]\nid = \"everything\"\ndescription = \"all\"\nrisk_type = 4\nscore = 100\nwhen = \"true\"\nreason = \"everything is risky\"\n\n[[rule]]\n",
        1,
    )
}

/// The shipped rules with one more rule, `broken_rule`, that does not compile.
fn rules_with_a_broken_rule() -> String {
    format!(
        "{}\n[[rule]]\nid = \"broken_rule\"\ndescription = \"x\"\nrisk_type = 1\nscore = 10\nwhen = \"account ==\"\nreason = \"x\"\n",
        phoneguard_risk::DEFAULT_RULES_TOML
    )
}

/// An address of its own for each account, so that the sign-ups of one test do
/// not build up a velocity on one IP.
fn ip_of(account: &str) -> String {
    let sum: u32 = account.bytes().map(u32::from).sum();
    format!("58.30.{}.{}", account.len() % 250, sum % 250 + 1)
}

/// Level and decision of a fresh ordinary sign-up.
async fn signup_level(s: &TestServer, account: &str) -> (Option<u64>, Option<String>) {
    let (st, r) = json(
        s.post("/v1/risk/register", &human(account, &ip_of(account)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    (r["level"].as_u64(), r["decision"].as_str().map(Into::into))
}

fn allowed() -> (Option<u64>, Option<String>) {
    (Some(0), Some("allow".into()))
}

fn denied() -> (Option<u64>, Option<String>) {
    (Some(4), Some("deny".into()))
}

#[tokio::test]
async fn the_rules_file_is_reloaded_on_request_and_a_broken_one_is_refused_by_rule_id() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    std::fs::write(&file, phoneguard_risk::DEFAULT_RULES_TOML).unwrap();
    let mut config = crate::harness::test_config(&dir.path().join("pg.db"));
    config.risk.rules_file = Some(file.display().to_string());
    let s = TestServer::start_with(config, dir).await;
    let reload = || async {
        s.admin(Method::POST, "/v1/admin/risk/rules/reload")
            .send()
            .await
            .unwrap()
    };
    assert_eq!(signup_level(&s, "u-before").await, allowed());

    // Rewritten: nothing changes until the reload, then the next event sees it.
    std::fs::write(&file, rules_denying_everything()).unwrap();
    assert_eq!(signup_level(&s, "u-written").await, allowed());
    let (st, body) = json(reload().await).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["status"], "reloaded");
    let shipped = phoneguard_risk::RuleSet::from_toml(phoneguard_risk::DEFAULT_RULES_TOML)
        .unwrap()
        .rules
        .len();
    assert_eq!(body["rules"].as_u64(), Some(shipped as u64 + 1), "{body}");
    assert_eq!(signup_level(&s, "u-reloaded").await, denied());
    let source = s
        .admin(Method::GET, "/v1/admin/risk/rules")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(source, rules_denying_everything(), "the file is in force");

    // A rule that does not compile: refused by its id, the old rules stay.
    std::fs::write(&file, rules_with_a_broken_rule()).unwrap();
    let b = problem(reload().await, 422, "invalid_rules").await;
    assert!(b["detail"].as_str().unwrap().contains("broken_rule"), "{b}");
    assert_eq!(signup_level(&s, "u-after-broken").await, denied());

    // A file gone: refused, naming the file; the old rules stay.
    std::fs::remove_file(&file).unwrap();
    let b = problem(reload().await, 422, "invalid_rules").await;
    assert!(b["detail"].as_str().unwrap().contains("rules.toml"), "{b}");
    assert_eq!(signup_level(&s, "u-after-missing").await, denied());

    // Fixed: the file's rules are in force again.
    std::fs::write(&file, phoneguard_risk::DEFAULT_RULES_TOML).unwrap();
    assert_eq!(reload().await.status(), 200);
    assert_eq!(signup_level(&s, "u-restored").await, allowed());
    s.stop().await;
}

/// The real binary serving on a SQLite file of its own, with `rules` as its
/// rules file; its standard error, line by line.
struct Binary {
    child: std::process::Child,
    base: String,
    key: String,
    client: reqwest::Client,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Binary {
    async fn start(dir: &std::path::Path, rules: &std::path::Path) -> Binary {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;

        let port = crate::binary::free_port();
        let mut child = crate::binary::serve_sqlite(&dir.join("pg.db"), port)
            .env("PHONEGUARD_ADMIN_TOKEN", crate::harness::ADMIN)
            .env("PHONEGUARD_RISK__RULES_FILE", rules)
            .env("PHONEGUARD_LOG__FORMAT", "text")
            .env("PHONEGUARD_LOG__LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // A first start prints the sandbox key on standard output.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let key = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.trim()
                    .starts_with("pk_test_")
                    .then(|| l.trim().to_string())
            })
            .expect("the first start prints a key");
        std::thread::spawn(move || for _ in lines {});
        let binary = Binary {
            child,
            base: format!("http://127.0.0.1:{port}"),
            key,
            client: reqwest::Client::new(),
            stderr,
        };
        crate::binary::wait_answering(&binary.client, &binary.base, "/healthz").await;
        binary
    }

    async fn signup_level(&self, account: &str) -> (Option<u64>, Option<String>) {
        let resp = self
            .client
            .post(format!("{}/v1/risk/register", self.base))
            .bearer_auth(&self.key)
            .json(&human(account, &ip_of(account)))
            .send()
            .await
            .unwrap();
        let (st, r) = json(resp).await;
        assert_eq!(st, 200, "{r}");
        (r["level"].as_u64(), r["decision"].as_str().map(Into::into))
    }

    /// Sends SIGHUP and waits for the log line saying what came of it.
    fn hangup(&mut self) -> String {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains("SIGHUP") => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no SIGHUP log line (server exited: {:?})",
                    self.child.try_wait().unwrap()
                ),
            }
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn sighup_reloads_the_rules_file_and_a_broken_one_leaves_the_old_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, phoneguard_risk::DEFAULT_RULES_TOML).unwrap();
    let mut server = Binary::start(dir.path(), &rules).await;
    assert_eq!(server.signup_level("u-before").await, allowed());

    std::fs::write(&rules, rules_denying_everything()).unwrap();
    let line = server.hangup();
    assert!(line.contains("risk rules reloaded"), "{line}");
    assert_eq!(server.signup_level("u-reloaded").await, denied());

    std::fs::write(&rules, rules_with_a_broken_rule()).unwrap();
    let line = server.hangup();
    assert!(line.contains("NOT reloaded"), "{line}");
    assert!(
        line.contains("broken_rule"),
        "the log names the rule: {line}"
    );
    assert_eq!(
        server.signup_level("u-after-broken").await,
        denied(),
        "the old rules stay"
    );
    assert_eq!(server.child.try_wait().unwrap(), None, "still serving");
}
