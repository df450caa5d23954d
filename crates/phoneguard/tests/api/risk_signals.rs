//! Risk signals that come from outside the event: the number's line status
//! (asked of a supplier only when the operator turns it on) and device
//! identifiers such as a MAC address.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};
use crate::risk::human;

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
