//! Flash calls (the phone-verification patent), `auto` falling back to SMS,
//! voice codes and message templates, through HTTP.

use serde_json::json;

use crate::harness::{json, problem};
use crate::verify_support::*;

const PHONE: &str = "13700137000";

#[tokio::test]
async fn a_flash_call_reveals_only_its_window_and_approves_on_a_matching_report() {
    let s = server().await;
    let (st, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "flash_call", "purpose": "register"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["channel"], "flash_call");
    assert_eq!(
        v["flash_call"],
        json!({"window_s": 60, "prefix_hint": "+8610"})
    );
    assert_eq!(v["attempts"][0]["supplier"], "voice-a");
    let c = calls(&s, PHONE).await;
    assert_eq!(c.len(), 1);
    let caller = c[0]["caller"].as_str().unwrap().to_string();
    assert!(caller.starts_with("+86101234560"), "{caller}");
    assert!(
        !v.to_string().contains(&caller),
        "the caller number is never revealed before the report"
    );
    let id = v["id"].as_str().unwrap();
    let (st, r) = report(&s, id, &["+8613900000000"]).await;
    assert_eq!(
        (st, r["status"].as_str(), r["remaining_attempts"].as_u64()),
        (200, Some("pending"), Some(4)),
        "{r}"
    );
    let national = format!("0{}", &caller[3..]);
    let (st, r) = report(&s, id, &["95588", &national]).await;
    assert_eq!((st, r["status"].as_str()), (200, Some("approved")), "{r}");
    s.stop().await;
}

/// Callers are held per phone: two pending flash calls to one phone (two
/// purposes) come from different numbers, a third finds none free, and a
/// call to another phone is not held up by them.
#[tokio::test]
async fn concurrent_flash_calls_to_one_phone_use_different_callers() {
    let s = server_with_callers(&["+861012345601", "+861012345602"], |_| {}).await;
    let flash = |phone: &str, purpose: &str| json!({"phone": phone, "channel": "flash_call", "purpose": purpose});
    for purpose in ["login", "register"] {
        assert_eq!(start(&s, flash(PHONE, purpose)).await.0, 201);
    }
    let mut callers: Vec<String> = calls(&s, PHONE)
        .await
        .iter()
        .map(|c| c["caller"].as_str().unwrap().to_string())
        .collect();
    callers.sort();
    assert_eq!(callers, ["+861012345601", "+861012345602"]);
    let r = s
        .post("/v1/verifications", &flash(PHONE, "reset_password"))
        .send()
        .await
        .unwrap();
    problem(r, 503, "supplier_unavailable").await;
    assert_eq!(start(&s, flash("13700137003", "login")).await.0, 201);
    s.stop().await;
}

/// Twelve flash calls to one phone (twelve purposes) started at once on a
/// pool of five callers: five are placed, each from a different caller, and
/// seven are refused with 503 (no caller free), none placed twice from one
/// number.
#[tokio::test]
async fn flash_calls_started_at_once_never_share_a_caller() {
    let pool: Vec<String> = (1..=5).map(|i| format!("+86101234560{i}")).collect();
    let callers: Vec<&str> = pool.iter().map(String::as_str).collect();
    let s = server_with_callers(&callers, |c| c.verify.max_sends_per_phone = 100).await;
    let purposes: Vec<String> = (0..12).map(|i| format!("purpose_{i:02}")).collect();
    let answers = futures_join(purposes.iter().map(|purpose| {
        start(
            &s,
            json!({"phone": PHONE, "channel": "flash_call", "purpose": purpose}),
        )
    }))
    .await;
    let placed = answers.iter().filter(|(st, _)| *st == 201).count();
    let refused = answers
        .iter()
        .filter(|(st, v)| *st == 503 && v["code"] == "supplier_unavailable")
        .count();
    assert_eq!((placed, refused), (5, 7), "{answers:?}");
    let mut callers: Vec<String> = calls(&s, PHONE)
        .await
        .iter()
        .map(|c| c["caller"].as_str().unwrap().to_string())
        .collect();
    callers.sort();
    assert_eq!(callers, pool, "every caller once");
    s.stop().await;
}

/// The caller number is the flash call's for its window only: a report after
/// the window is refused even with the right number, and the number goes to
/// the next flash call to that phone.
#[tokio::test]
async fn a_report_after_the_window_is_refused_and_the_caller_is_free_again() {
    let s = server_with_callers(&["+861012345601"], |c| c.verify.flash_call_window_s = 2).await;
    let flash = |purpose: &'static str| json!({"phone": PHONE, "channel": "flash_call", "purpose": purpose});
    let (st, v) = start(&s, flash("login")).await;
    assert_eq!(st, 201, "{v}");
    let first = v["id"].as_str().unwrap().to_string();
    let caller = calls(&s, PHONE).await[0]["caller"]
        .as_str()
        .unwrap()
        .to_string();
    let busy = s
        .post("/v1/verifications", &flash("register"))
        .send()
        .await
        .unwrap();
    problem(busy, 503, "supplier_unavailable").await;

    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (st, r) = report(&s, &first, &[&caller]).await;
    assert_eq!(st, 422, "{r}");
    assert_eq!(r["field"], "incoming_numbers", "{r}");
    assert!(
        r["detail"].as_str().unwrap().contains("window ended"),
        "{r}"
    );
    let (_, v) = json(
        s.get(&format!("/v1/verifications/{first}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        v["status"], "pending",
        "a late report neither approves nor counts: {v}"
    );

    let (st, v) = start(&s, flash("register")).await;
    assert_eq!(
        st, 201,
        "the pool's only number is free after the window: {v}"
    );
    assert_eq!(calls(&s, PHONE).await[0]["caller"], caller.as_str());
    let (st, r) = report(&s, v["id"].as_str().unwrap(), &[&caller]).await;
    assert_eq!((st, r["status"].as_str()), (200, Some("approved")), "{r}");
    s.stop().await;
}

#[tokio::test]
async fn auto_starts_with_a_flash_call_and_falls_back_to_sms_after_the_window() {
    let s = server_with(|c| c.verify.flash_call_window_s = 2).await;
    let (_, v) = start(
        &s,
        json!({"phone": PHONE, "channel": "auto", "purpose": "login"}),
    )
    .await;
    assert_eq!(v["channel"], "flash_call");
    let id = v["id"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (st, v) = json(
        s.post(&format!("/v1/verifications/{id}/resend"), &json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, v["channel"].as_str()), (200, Some("sms")), "{v}");
    assert!(v["flash_call"].is_null());
    let code = latest_code(&s, PHONE).await;
    assert_eq!(check(&s, id, &code).await.1["status"], "approved");
    s.stop().await;
}

#[tokio::test]
async fn a_voice_code_is_read_out_digit_by_digit() {
    let s = server().await;
    let (st, v) = start(&s, json!({"phone": PHONE, "channel": "voice", "purpose": "login", "locale": "en", "code_length": 4})).await;
    assert_eq!(st, 201, "{v}");
    let m = messages(&s, PHONE).await;
    assert_eq!(m[0]["channel"], "voice");
    let text = m[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Hello, this is phoneguard."), "{text}");
    let code: String = text
        .split("code is ")
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(code.len(), 4);
    assert_eq!(
        check(&s, v["id"].as_str().unwrap(), &code).await.1["status"],
        "approved"
    );
    s.stop().await;
}

#[tokio::test]
async fn sms_texts_follow_the_locale_code_length_and_app_hash() {
    let s = server_with(|c| c.verify.app_name = "Acme".into()).await;
    let body = json!({"phone": PHONE, "channel": "sms", "purpose": "login", "locale": "en", "code_length": 8, "app_hash": "FA+9qCX9VSu"});
    assert_eq!(start(&s, body).await.0, 201);
    let text = messages(&s, PHONE).await[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.starts_with("[Acme] Your verification code is "),
        "{text}"
    );
    assert!(
        text.contains("expires in 10 minutes") && text.ends_with("\nFA+9qCX9VSu"),
        "{text}"
    );
    assert_eq!(code_in(&text).len(), 8);
    s.stop().await;
}
