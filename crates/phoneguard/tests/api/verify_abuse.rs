//! Verification abuse (issue 18): a flash-call report that lists the caller
//! pool, one tenant holding the callers another needs, and limits stretched by
//! starting again or by IPv6 addresses, through HTTP.

use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};
use crate::verify_support::*;

const PHONE: &str = "13700137000";

fn pool() -> Vec<String> {
    (1..=5).map(|i| format!("+86101234560{i}")).collect()
}

/// The body of a flash-call (or `auto`) start.
fn flash(channel: &str, phone: &str, purpose: &str) -> Value {
    json!({"phone": phone, "channel": channel, "purpose": purpose})
}

async fn status_of(s: &TestServer, id: &str) -> Value {
    let (_, v) = json(
        s.get(&format!("/v1/verifications/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    v["status"].clone()
}

/// Item 1: listing the pool is not knowing the caller. A report names at most
/// three numbers, and one naming two numbers of the pool ends the verification.
#[tokio::test]
async fn a_report_listing_the_caller_pool_is_refused_and_ends_the_verification() {
    let s = server().await;
    let (st, v) = start(&s, flash("flash_call", PHONE, "login")).await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let caller = calls(&s, PHONE).await[0]["caller"]
        .as_str()
        .unwrap()
        .to_string();
    let everyone = pool();
    let all: Vec<&str> = everyone.iter().map(String::as_str).collect();
    let (st, r) = report(&s, &id, &all).await;
    assert_eq!(
        st, 422,
        "five numbers are more than a report may carry: {r}"
    );
    assert_eq!(r["field"], "incoming_numbers", "{r}");

    // The right caller and one other pool number: a guess, not a report.
    let other = everyone.iter().find(|c| **c != caller).unwrap();
    let r = s
        .post(
            &format!("/v1/verifications/{id}/report"),
            &json!({"incoming_numbers": [caller, other]}),
        )
        .send()
        .await
        .unwrap();
    problem(r, 409, "max_attempts_reached").await;
    assert_eq!(status_of(&s, &id).await, "max_attempts_reached");
    let (st, r) = report(&s, &id, &[&caller]).await;
    assert_eq!(
        st, 409,
        "ended: even the right number no longer passes: {r}"
    );
    s.stop().await;
}

/// Item 1: the calls a device really saw (the caller, spelled twice, and
/// numbers outside the pool) still approve.
#[tokio::test]
async fn a_report_of_the_caller_among_other_calls_approves() {
    let s = server().await;
    let (_, v) = start(&s, flash("flash_call", PHONE, "login")).await;
    let id = v["id"].as_str().unwrap();
    let caller = calls(&s, PHONE).await[0]["caller"]
        .as_str()
        .unwrap()
        .to_string();
    let national = format!("0{}", &caller[3..]);
    let (st, r) = report(&s, id, &["95588", &caller, &national]).await;
    assert_eq!((st, r["status"].as_str()), (200, Some("approved")), "{r}");
    s.stop().await;
}

/// Item 2: five flash calls of tenant B (as many as the pool has callers)
/// leave tenant A's `flash_call` and `auto` starts their flash calls.
#[tokio::test]
async fn one_tenants_flash_calls_do_not_hold_another_tenants_callers() {
    let s = server().await;
    let key_b = s.other_tenant_key("tenant-b").await;
    for i in 0..5 {
        let (st, v) = json(
            s.client
                .post(s.url("/v1/verifications"))
                .bearer_auth(&key_b)
                .json(&flash("flash_call", &format!("1370013710{i}"), "login"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 201, "tenant B's call {i}: {v}");
    }
    let (st, v) = start(&s, flash("flash_call", "13700137200", "login")).await;
    assert_eq!(
        (st, v["channel"].as_str()),
        (201, Some("flash_call")),
        "{v}"
    );
    let (st, v) = start(&s, flash("auto", "13700137201", "login")).await;
    assert_eq!(
        (st, v["channel"].as_str()),
        (201, Some("flash_call")),
        "{v}"
    );
    s.stop().await;
}

/// Item 2: `auto` sends an SMS code when no caller is free (here: the pool's
/// only caller is held by another flash call to the same phone), at start
/// and at a resend within the window.
#[tokio::test]
async fn auto_falls_back_to_sms_when_no_caller_is_free() {
    let s = server_with_callers(&["+861012345601"], |_| {}).await;
    let (st, v) = start(&s, flash("flash_call", PHONE, "login")).await;
    assert_eq!(
        (st, v["channel"].as_str()),
        (201, Some("flash_call")),
        "{v}"
    );
    let (st, v) = start(&s, flash("auto", PHONE, "register")).await;
    assert_eq!((st, v["channel"].as_str()), (201, Some("sms")), "{v}");
    let id = v["id"].as_str().unwrap();
    let (st, v) = resend(&s, id).await;
    assert_eq!((st, v["channel"].as_str()), (200, Some("sms")), "{v}");
    let code = latest_code(&s, PHONE).await;
    assert_eq!(check(&s, id, &code).await.1["status"], "approved");
    s.stop().await;
}

/// Item 4: starting again is no way around the resend cooldown: the same
/// 429 `resend_cooldown` with `Retry-After`, for the same phone and purpose
/// only.
#[tokio::test]
async fn a_new_start_within_the_resend_cooldown_is_refused_like_a_resend() {
    let s = server_with(|c| c.verify.resend_cooldown_s = 30).await;
    let id = start_sms(&s, PHONE).await;
    let (st, r) = resend(&s, &id).await;
    assert_eq!(
        (st, r["limit"].as_str()),
        (429, Some("resend_cooldown")),
        "{r}"
    );
    let again = json!({"phone": PHONE, "channel": "sms", "purpose": "login"});
    let retry = limited(&s, again, "resend_cooldown").await;
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(status_of(&s, &id).await, "pending", "the first one stands");
    assert_eq!(messages(&s, PHONE).await.len(), 1, "one code sent");
    let (st, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "sms", "purpose": "register"}),
    )
    .await;
    assert_eq!(st, 201, "another purpose has its own cooldown: {v}");
    s.stop().await;
}

async fn start_from(s: &TestServer, phone: &str, ip: &str) -> (u16, Value) {
    start(s, json!({"phone": phone, "purpose": "login", "ip": ip})).await
}

/// Item 4: the per-IP limit counts an IPv6 end user by its /64
/// (`verify.ipv6_prefix_len`), so a subscriber cannot rotate addresses.
#[tokio::test]
async fn ipv6_addresses_of_one_64_share_the_ip_limit() {
    let s = server_with(|c| c.verify.ip_sends_per_minute = 2).await;
    assert_eq!(
        start_from(&s, "13800138001", "2001:db8:1:2::1").await.0,
        201
    );
    assert_eq!(
        start_from(&s, "13800138002", "2001:db8:1:2::2").await.0,
        201
    );
    let third =
        json!({"phone": "13800138003", "purpose": "login", "ip": "2001:db8:1:2:ffff:1:2:3"});
    limited(&s, third, "ip").await;
    let (st, v) = start_from(&s, "13800138004", "2001:db8:1:3::1").await;
    assert_eq!(st, 201, "another /64 is another end user: {v}");
    s.stop().await;

    let s = server_with(|c| {
        c.verify.ip_sends_per_minute = 2;
        c.verify.ipv6_prefix_len = 128;
    })
    .await;
    for (i, ip) in ["2001:db8::1", "2001:db8::2", "2001:db8::3"]
        .iter()
        .enumerate()
    {
        let (st, v) = start_from(&s, &format!("1380013801{i}"), ip).await;
        assert_eq!(st, 201, "128 counts each address: {v}");
    }
    s.stop().await;
}
