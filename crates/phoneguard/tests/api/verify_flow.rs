//! Verifications over HTTP: start, outbox, check, resend, cancel, expiry,
//! concurrency and durability.

use serde_json::json;

use crate::harness::{json, problem};
use crate::verify_support::*;

const PHONE: &str = "13800138000";

#[tokio::test]
async fn an_sms_code_read_from_the_sandbox_outbox_approves_the_verification() {
    let s = server().await;
    let (st, v) = start(
        &s,
        json!({"phone": "+86 138-0013-8000", "channel": "sms", "purpose": "login"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["phone"], "138****8000");
    assert_eq!(v["channel"], "sms");
    assert_eq!(v["attempts"][0]["supplier"], "sms-a");
    assert_eq!(v["attempts"][0]["channel"], "sms");
    assert!(v["flash_call"].is_null());
    let id = v["id"].as_str().unwrap();
    let m = messages(&s, PHONE).await;
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["supplier"], "sms-a");
    assert_eq!(m[0]["phone"], "+8613800138000");
    let text = m[0]["text"].as_str().unwrap();
    assert!(
        text.contains("phoneguard") && text.contains("10分钟"),
        "{text}"
    );
    let code = code_in(text);
    assert_eq!(code.len(), 6);
    assert!(
        // As a whole run of digits: the code may occur by chance inside a
        // timestamp's fraction or an id.
        !v.to_string()
            .split(|c: char| !c.is_ascii_digit())
            .any(|run| run == code),
        "the code never appears in the API answer"
    );
    let (st, c) = check(&s, id, &code).await;
    assert_eq!((st, c["status"].as_str()), (200, Some("approved")), "{c}");
    let (_, g) = fetch(&s, id).await;
    assert_eq!(g["status"], "approved");
    s.stop().await;
}

#[tokio::test]
async fn a_code_entered_twice_is_refused() {
    let s = server().await;
    let id = start_sms(&s, PHONE).await;
    let code = latest_code(&s, PHONE).await;
    assert_eq!(check(&s, &id, &code).await.0, 200);
    let r = s
        .post(
            &format!("/v1/verifications/{id}/check"),
            &json!({"code": code}),
        )
        .send()
        .await
        .unwrap();
    problem(r, 409, "verification_closed").await;
    s.stop().await;
}

#[tokio::test]
async fn wrong_codes_count_down_then_end_as_max_attempts_reached() {
    let s = server().await;
    let id = start_sms(&s, PHONE).await;
    let code = latest_code(&s, PHONE).await;
    for left in (1..5).rev() {
        let (st, c) = check(&s, &id, &wrong(&code)).await;
        assert_eq!(
            (st, c["status"].as_str(), c["remaining_attempts"].as_u64()),
            (200, Some("pending"), Some(left)),
            "{c}"
        );
    }
    let r = s
        .post(
            &format!("/v1/verifications/{id}/check"),
            &json!({"code": wrong(&code)}),
        )
        .send()
        .await
        .unwrap();
    problem(r, 409, "max_attempts_reached").await;
    let r = s
        .post(
            &format!("/v1/verifications/{id}/check"),
            &json!({"code": code}),
        )
        .send()
        .await
        .unwrap();
    problem(r, 409, "max_attempts_reached").await;
    s.stop().await;
}

#[tokio::test]
async fn a_resend_makes_a_new_code_and_kills_the_old_one() {
    let s = server().await;
    let id = start_sms(&s, PHONE).await;
    let old = latest_code(&s, PHONE).await;
    let (st, v) = resend(&s, &id).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["attempts"].as_array().unwrap().len(), 2);
    let new = latest_code(&s, PHONE).await;
    if old != new {
        assert_eq!(check(&s, &id, &old).await.1["status"], "pending");
    }
    assert_eq!(check(&s, &id, &new).await.1["status"], "approved");
    s.stop().await;
}

#[tokio::test]
async fn checking_by_phone_and_purpose_uses_the_latest_pending_verification() {
    let s = server().await;
    start_sms(&s, PHONE).await;
    let code = latest_code(&s, PHONE).await;
    let body = json!({"phone": "+8613800138000", "purpose": "login", "code": code});
    let (st, c) = json(
        s.post("/v1/verifications/check", &body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, c["status"].as_str()), (200, Some("approved")), "{c}");
    let r = s
        .post("/v1/verifications/check", &body)
        .send()
        .await
        .unwrap();
    problem(r, 404, "not_found").await;
    s.stop().await;
}

#[tokio::test]
async fn a_canceled_verification_is_closed() {
    let s = server().await;
    let id = start_sms(&s, PHONE).await;
    let code = latest_code(&s, PHONE).await;
    let (st, v) = json(
        s.post(&format!("/v1/verifications/{id}/cancel"), &json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["status"].as_str()), (200, Some("canceled")));
    let r = s
        .post(
            &format!("/v1/verifications/{id}/check"),
            &json!({"code": code}),
        )
        .send()
        .await
        .unwrap();
    problem(r, 409, "verification_closed").await;
    s.stop().await;
}

#[tokio::test]
async fn a_code_past_its_ttl_is_expired() {
    let s = server_with(|c| c.verify.code_ttl_s = 2).await;
    let id = start_sms(&s, PHONE).await;
    let code = latest_code(&s, PHONE).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = s
        .post(
            &format!("/v1/verifications/{id}/check"),
            &json!({"code": code}),
        )
        .send()
        .await
        .unwrap();
    problem(r, 409, "verification_expired").await;
    let (_, g) = fetch(&s, &id).await;
    assert_eq!(g["status"], "expired");
    s.stop().await;
}

#[tokio::test]
async fn of_two_concurrent_correct_checks_exactly_one_wins() {
    let s = server().await;
    for round in 0..3 {
        let phone = format!("1380013800{round}");
        let id = start_sms(&s, &phone).await;
        let code = latest_code(&s, &phone).await;
        let reqs = (0..8).map(|_| check(&s, &id, &code));
        let results = futures_join(reqs).await;
        let wins = results
            .iter()
            .filter(|(st, c)| *st == 200 && c["status"] == "approved")
            .count();
        let closed = results
            .iter()
            .filter(|(st, c)| *st == 409 && c["code"] == "verification_closed")
            .count();
        assert_eq!((wins, closed), (1, 7), "{results:?}");
    }
    s.stop().await;
}

#[tokio::test]
async fn bad_requests_name_their_field() {
    let s = server().await;
    for (body, field) in [
        (
            json!({"phone": PHONE, "purpose": "login", "code_length": 3}),
            "code_length",
        ),
        (json!({"phone": PHONE, "purpose": ""}), "purpose"),
        (
            json!({"phone": PHONE, "purpose": "login", "locale": "fr"}),
            "locale",
        ),
        (
            json!({"phone": PHONE, "purpose": "login", "app_hash": "nope"}),
            "app_hash",
        ),
    ] {
        let b = problem(
            s.post("/v1/verifications", &body).send().await.unwrap(),
            422,
            "invalid_request",
        )
        .await;
        assert_eq!(b["field"], field, "{b}");
    }
    problem(
        s.post(
            "/v1/verifications",
            &json!({"phone": "12345", "purpose": "x"}),
        )
        .send()
        .await
        .unwrap(),
        422,
        "invalid_number",
    )
    .await;
    problem(
        s.get("/v1/verifications/ver_nope").send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn a_start_and_the_get_after_it_print_the_same_instants() {
    let s = server().await;
    let (st, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "sms", "purpose": "timestamps"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap();
    let (_, g) = fetch(&s, id).await;
    for field in ["created_at", "expires_at"] {
        let (posted, got) = (v[field].as_str().unwrap(), g[field].as_str().unwrap());
        assert_eq!(
            posted, got,
            "{field}: the POST printed the instant otherwise"
        );
        // 2026-12-06T23:40:32.123Z: three decimals, UTC.
        assert_eq!(posted.len(), 24, "{field}: {posted}");
        assert!(posted.ends_with('Z'), "{field}: {posted}");
    }
    let sent = v["attempts"][0]["sent_at"].as_str().unwrap();
    assert_eq!(sent, g["attempts"][0]["sent_at"].as_str().unwrap());
    s.stop().await;
}
