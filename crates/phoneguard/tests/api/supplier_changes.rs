//! Suppliers as the admin API changes and shows them: a change holds at once
//! on the node that took it (the next code sent after `PATCH
//! /v1/admin/suppliers/{id}` answers uses the new options and credentials;
//! other nodes follow within their refresh period), and a supplier's live
//! health has no success rate before its first call.

use reqwest::Method;
use serde_json::json;

use crate::harness::{TestServer, json, problem};
use crate::live_keys::post_with;
use crate::suppliers::admin_json;
use crate::verify_receipts::{fake_twilio, server_on_twilio};

/// Starts an SMS verification of `phone` with `key`.
async fn send(s: &TestServer, key: &str, phone: &str) -> reqwest::Response {
    let body = json!({"phone": phone, "channel": "sms", "purpose": "login"});
    post_with(s, key, "/v1/verifications", body).await
}

#[tokio::test]
async fn the_next_send_after_a_messaging_supplier_change_uses_the_new_options_and_credentials() {
    let (base, seen) = fake_twilio().await;
    let (s, live) = server_on_twilio(&base).await;
    let last = || seen.lock().unwrap().last().cloned().unwrap_or_default();
    let (st, v) = json(send(&s, &live, "13900139001").await).await;
    assert_eq!(st, 201, "{v}");
    assert!(last().contains("From=%2B15005550006"), "{}", last());

    // Right after a send, so the sender of the old options is fresh in memory.
    let (st, b) = admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/twilio-a",
        Some(json!({"options": {"base_url": base, "from": "+15005550007"}})),
    )
    .await;
    assert_eq!(
        (st, &b["options"]["from"]),
        (200, &json!("+15005550007")),
        "{b}"
    );
    let (st, v) = json(send(&s, &live, "13900139002").await).await;
    assert_eq!(st, 201, "{v}");
    assert!(
        last().contains("From=%2B15005550007"),
        "the send right after the change uses the new options: {}",
        last()
    );

    let (st, b) = admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/twilio-a",
        Some(json!({"credentials": {"account_sid": "AC7e2d", "auth_token": "rotated-7e2d"}})),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    let (st, v) = json(send(&s, &live, "13900139003").await).await;
    assert_eq!(st, 201, "{v}");
    assert!(
        last().starts_with("POST /2010-04-01/Accounts/AC7e2d/Messages.json"),
        "the send right after a rotation uses the new credentials: {}",
        last()
    );

    let (st, b) = admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/twilio-a",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    let sent = seen.lock().unwrap().len();
    problem(
        send(&s, &live, "13900139004").await,
        503,
        "supplier_unavailable",
    )
    .await;
    assert_eq!(
        seen.lock().unwrap().len(),
        sent,
        "a disabled supplier sends nothing"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_supplier_without_calls_has_no_success_rate() {
    let s = TestServer::start().await;
    let (st, b) = admin_json(&s, Method::GET, "/v1/admin/suppliers", None).await;
    assert_eq!(st, 200, "{b}");
    for sup in b["suppliers"].as_array().unwrap() {
        assert_eq!(sup["health"]["window_calls"], 0, "{sup}");
        assert!(
            sup["health"]
                .get("success_rate")
                .is_some_and(|r| r.is_null()),
            "no calls, no rate: {sup}"
        );
        assert!(
            sup["health"].get("p50_ms").is_some_and(|r| r.is_null()),
            "no calls, no median latency: {sup}"
        );
    }
    let r = s
        .get("/v1/numbers/13800138000?fields=status")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, b) = admin_json(&s, Method::GET, "/v1/admin/suppliers/sandbox", None).await;
    assert_eq!(b["health"]["window_calls"], 1, "{b}");
    let rate = b["health"]["success_rate"].as_f64();
    assert!(rate.is_some_and(|r| r > 0.5 && r <= 1.0), "{b}");
    assert!(b["health"]["p50_ms"].as_f64().is_some(), "{b}");
    let (_, stats) = admin_json(&s, Method::GET, "/v1/admin/stats", None).await;
    let sandbox = stats["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["supplier_id"] == "sandbox")
        .unwrap_or_else(|| panic!("{stats}"));
    assert_eq!(sandbox["health"]["success_rate"].as_f64(), rate, "{stats}");
    s.stop().await;
}

#[tokio::test]
async fn a_patch_of_options_is_a_json_merge_patch_and_credentials_are_replaced_whole() {
    let s = TestServer::start().await;
    let (st, before) = admin_json(&s, Method::GET, "/v1/admin/suppliers/sms-a", None).await;
    assert_eq!(st, 200, "{before}");
    let patch = |options| json!({"options": options});
    let (st, b) = admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/sms-a",
        Some(patch(json!({"drop_rate": 1.0, "latency_ms": 5}))),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    let mut want = before["options"].clone();
    want["drop_rate"] = json!(1.0);
    want["latency_ms"] = json!(5);
    assert_eq!(b["options"], want, "members not given are kept: {b}");
    assert!(
        b["options"].get("fail_rate").is_some(),
        "fail_rate kept: {b}"
    );

    let (st, b) = admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/sms-a",
        Some(patch(json!({"latency_ms": null, "drop_rate": 0.0}))),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    assert!(
        b["options"].get("latency_ms").is_none(),
        "null removes: {b}"
    );
    assert_eq!(b["options"]["drop_rate"], 0.0);
    assert!(b["options"].get("fail_rate").is_some(), "{b}");
    s.stop().await;
}
