//! What an operator sees: the JSON log of a full run carries no personal data
//! or secret and a request id on every request line; `/metrics` has the
//! series of every area and no label carries a number, key or raw path.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{ADMIN, json};

const MASTER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const NAME: &str = "欧阳娜娜";
const ID_NUMBER: &str = "11010519491231002X";
const CREDENTIAL: &str = "appcode-secret-obs-7f3a9c";
/// Numbers of the run; each must never appear in a log line, in any form.
const PHONES: [&str; 5] = [
    "13912345678",
    "13812345679",
    "13712345670",
    "13612345671",
    "13512345672",
];

struct Run {
    base: String,
    key: String,
    client: reqwest::Client,
}

impl Run {
    fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::RequestBuilder {
        let r = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        match body {
            Some(b) => r.json(&b),
            None => r,
        }
    }

    async fn ok(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Value {
        let (status, v) = json(self.call(method, path, token, body).send().await.unwrap()).await;
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }
}

/// Every call the flow makes; returns the secrets it saw (code, new key).
async fn full_flow(run: &Run) -> Vec<String> {
    let key = run.key.as_str();
    let [p1, p2, p3, p4, p5] = PHONES;
    run.ok(
        Method::GET,
        &format!("/v1/numbers/{p1}?fields=status,tenure,portability"),
        key,
        None,
    )
    .await;
    run.ok(
        Method::POST,
        "/v1/numbers/batch",
        key,
        Some(json!({"numbers": [p2, "+86 137-1234-5670"], "fields": ["status"]})),
    )
    .await;
    run.ok(
        Method::PUT,
        &format!("/v1/sandbox/subscribers/{p3}"),
        key,
        Some(json!({"name": NAME, "id_number": ID_NUMBER})),
    )
    .await;
    let m = run
        .ok(
            Method::POST,
            "/v1/identity/match",
            key,
            Some(json!({"phone": p3, "name": NAME, "id_number": ID_NUMBER})),
        )
        .await;
    assert_eq!(m["result"], "match", "{m}");
    let v = run
        .ok(
            Method::POST,
            "/v1/verifications",
            key,
            Some(json!({"phone": p4, "purpose": "login", "code_length": 10})),
        )
        .await;
    let id = v["id"].as_str().unwrap().to_string();
    let msgs = run
        .ok(
            Method::GET,
            &format!("/v1/sandbox/messages?phone={p4}"),
            key,
            None,
        )
        .await;
    let text = msgs["messages"][0]["text"].as_str().unwrap().to_string();
    let code = crate::verify_support::code_in(&text);
    assert_eq!(code.len(), 10, "{text}");
    let wrong = run
        .call(
            Method::POST,
            &format!("/v1/verifications/{id}/check"),
            key,
            Some(json!({"code": crate::verify_support::wrong(&code)})),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 200);
    let ok = run
        .ok(
            Method::POST,
            &format!("/v1/verifications/{id}/check"),
            key,
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(ok["status"], "approved", "{ok}");
    run.ok(
        Method::POST,
        "/v1/risk/register",
        key,
        Some(json!({"account": "obs-user", "pn": p5, "ip": "203.0.113.9", "device_id": "obs-dev"})),
    )
    .await;
    let t = run
        .ok(
            Method::POST,
            "/v1/admin/tenants",
            ADMIN,
            Some(json!({"name": "obs-tenant"})),
        )
        .await;
    let k = run
        .ok(
            Method::POST,
            &format!("/v1/admin/tenants/{}/keys", t["id"].as_str().unwrap()),
            ADMIN,
            Some(json!({"mode": "live"})),
        )
        .await;
    let live = k["key"].as_str().unwrap().to_string();
    run.ok(Method::GET, &format!("/v1/numbers/{p1}"), &live, None)
        .await;
    run.ok(
        Method::POST,
        "/v1/admin/suppliers",
        ADMIN,
        Some(json!({"id": "obs-aliyun",
        "kind": "aliyun_market_status", "capabilities": ["status"], "enabled": false,
        "options": {"base_url": "http://127.0.0.1:9"}, "credentials": {"appcode": CREDENTIAL}})),
    )
    .await;
    let bad = run
        .call(
            Method::GET,
            &format!("/v1/numbers/{p1}"),
            "pk_test_notakey0123456789",
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    vec![code, live]
}

#[tokio::test]
async fn a_full_run_logs_json_with_request_ids_and_no_personal_data_or_secret() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let mut child = crate::binary::command()
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("PHONEGUARD_ADMIN_TOKEN", ADMIN)
        .env("PHONEGUARD_MASTER_KEY", MASTER)
        .env(
            "PHONEGUARD_LOG__LEVEL",
            "debug,hyper=info,h2=info,sqlx=info,reqwest=info",
        )
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = vec![];
    let addr = loop {
        let line = lines.next().expect("serve prints its address").unwrap();
        if let Some(a) = line.strip_prefix("phoneguard: listening on ") {
            break a.to_string();
        }
        printed.push(line);
    };
    let key = printed
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("pk_test_"))
        .expect("the default key is printed")
        .to_string();
    let run = Run {
        base: addr,
        key: key.clone(),
        client: reqwest::Client::new(),
    };
    let mut secrets = full_flow(&run).await;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());

    secrets.extend([
        key,
        ADMIN.to_string(),
        NAME.to_string(),
        ID_NUMBER.to_string(),
        ID_NUMBER.to_lowercase(),
        CREDENTIAL.to_string(),
    ]);
    secrets.extend(PHONES.iter().map(|p| p.to_string()));
    let log = std::fs::read_to_string(&log_path).unwrap();
    let mut requests = 0;
    let mut serving = false;
    for line in log.lines() {
        for s in &secrets {
            assert!(!line.contains(s.as_str()), "the log shows {s:?}: {line}");
        }
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let target = v["target"].as_str().unwrap_or_default();
        if target == "phoneguard::access" {
            requests += 1;
        }
        let in_request = v["span"]["name"] == "request" || target == "phoneguard::access";
        if in_request {
            assert!(
                v["span"]["request_id"]
                    .as_str()
                    .is_some_and(|id| id.len() == 36),
                "a request line without its request id: {line}"
            );
        }
        let message = v["message"].as_str().unwrap_or_default();
        if message.starts_with("phoneguard listening") {
            serving = true;
        } else if serving && target.starts_with("phoneguard") && v["level"] != "DEBUG" {
            assert!(
                in_request || message.starts_with("shutting down"),
                "a line outside any request while serving: {line}"
            );
        }
    }
    assert!(
        requests == 14,
        "one access line per request: {requests}\n{log}"
    );
}

/// Label values of every series of a Prometheus text exposition.
fn label_values(text: &str) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((name, rest)) = line.split_once('{') else {
            continue;
        };
        let labels = rest.rsplit_once('}').map_or(rest, |(l, _)| l);
        for pair in labels.split("\",") {
            if let Some((k, v)) = pair.split_once("=\"") {
                out.push((
                    name.to_string(),
                    k.to_string(),
                    v.trim_end_matches('"').to_string(),
                ));
            }
        }
    }
    out
}

#[tokio::test]
async fn metrics_cover_every_area_and_no_label_carries_a_number_key_or_raw_path() {
    let s = crate::suppliers::start_with_master_key().await;
    let run = Run {
        base: s.url(""),
        key: s.key.clone(),
        client: s.client.clone(),
    };
    let secrets = full_flow(&run).await;
    s.get("/v1/numbers/13912345678/extra/segments")
        .send()
        .await
        .unwrap();
    phoneguard_server::telemetry::rate_limited("lookup", "rate");
    let text = crate::harness::metrics_text(&s).await;
    for series in [
        "phoneguard_http_requests_total{",
        "phoneguard_http_request_duration_seconds_bucket{",
        "phoneguard_supplier_calls_total{",
        "phoneguard_supplier_call_duration_seconds_bucket{",
        "phoneguard_supplier_breaker_state{",
        "phoneguard_verify_started_total{",
        "phoneguard_verify_sends_total{",
        "phoneguard_verify_checks_total{",
        "phoneguard_risk_decisions_total{",
        "phoneguard_rate_limited_total{",
    ] {
        assert!(text.contains(series), "{series} is exposed:\n{text}");
    }
    assert!(
        text.contains(r#"phoneguard_verify_checks_total{result="approved"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"phoneguard_verify_started_total{channel="sms",outcome="pending"}"#),
        "{text}"
    );
    assert!(
        text.lines().any(
            |l| l.starts_with("phoneguard_supplier_call_duration_seconds_bucket{")
                && l.contains("capability=\"")
                && l.contains("outcome=\"ok\"")
        ),
        "supplier latency by capability and outcome:\n{text}"
    );
    assert!(
        text.contains(r#"tenant="admin""#) && text.contains(r#"tenant="ten_"#),
        "{text}"
    );
    let doc = serde_json::to_value(phoneguard_server::openapi::openapi()).unwrap();
    let templates = doc["paths"].as_object().unwrap();
    for (series, label, value) in label_values(&text) {
        if label == "tenant" {
            let id = value
                .strip_prefix("ten_")
                .map(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(
                id == Some(true) || value == "admin" || value == "-",
                "{series} tenant={value:?}"
            );
            continue;
        }
        let longest_digit_run = value
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(
            longest_digit_run < 7,
            "{series} {label}={value:?} looks like a number"
        );
        for s in &secrets {
            assert!(
                !value.contains(s.as_str()),
                "{series} {label} carries a secret"
            );
        }
        assert!(
            !value.starts_with("pk_") && !value.starts_with("adm_"),
            "{series} {label}={value}"
        );
        if label == "route" {
            assert!(
                value == "unmatched"
                    || templates.contains_key(&value)
                    || value.starts_with("/docs")
                    || value.starts_with("/dashboard")
                    // The Aliyun-compatible front (its contract is Aliyun's, not in the document).
                    || value == "/",
                "{series}: route {value:?} is not a route template"
            );
        }
    }
    s.stop().await;
}
