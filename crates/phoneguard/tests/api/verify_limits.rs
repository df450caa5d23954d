//! Send limits and the SMS-pumping guard, on by default, through HTTP.

use serde_json::json;

use crate::harness::{json, problem};
use crate::verify_support::*;

#[tokio::test]
async fn the_resend_cooldown_answers_429_with_retry_after() {
    let s = server_with(|c| c.verify.resend_cooldown_s = 30).await;
    let id = start_sms(&s, "13800138000").await;
    let r = s
        .post(&format!("/v1/verifications/{id}/resend"), &json!({}))
        .send()
        .await
        .unwrap();
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // 30 less the seconds the start and resend took (a slow runner may take one or two).
    assert!((27..=30).contains(&retry), "{retry}");
    let b = problem(r, 429, "rate_limited").await;
    assert_eq!(b["limit"], "resend_cooldown");
    s.stop().await;
}

#[tokio::test]
async fn a_phone_gets_at_most_max_sends_per_window() {
    let s = server_with(|c| c.verify.max_sends_per_phone = 2).await;
    let body = json!({"phone": "13800138000", "channel": "sms", "purpose": "login"});
    for _ in 0..2 {
        assert_eq!(start(&s, body.clone()).await.0, 201);
    }
    limited(&s, body, "phone").await;
    assert_eq!(
        start(&s, json!({"phone": "13800138001", "purpose": "login"}))
            .await
            .0,
        201
    );
    s.stop().await;
}

#[tokio::test]
async fn tenant_and_ip_send_rates_are_capped() {
    let s = server_with(|c| {
        c.verify.tenant_sends_per_minute = 3;
        c.verify.ip_sends_per_minute = 2;
    })
    .await;
    for i in 0..2 {
        assert_eq!(
            start(
                &s,
                json!({"phone": format!("1380013800{i}"), "purpose": "login", "ip": "203.0.113.7"})
            )
            .await
            .0,
            201
        );
    }
    limited(
        &s,
        json!({"phone": "13800138005", "purpose": "login", "ip": "203.0.113.7"}),
        "ip",
    )
    .await;
    assert_eq!(
        start(
            &s,
            json!({"phone": "13800138006", "purpose": "login", "ip": "203.0.113.8"})
        )
        .await
        .0,
        201
    );
    limited(
        &s,
        json!({"phone": "13800138007", "purpose": "login"}),
        "tenant",
    )
    .await;
    s.stop().await;
}

/// Resends carry the end user's IP too and count against its limit; one
/// address counts once however it is spelt; a value that is no address is a
/// 422 naming `ip`.
#[tokio::test]
async fn resends_count_against_the_ip_limit_and_a_bad_ip_is_named() {
    let s = server_with(|c| c.verify.ip_sends_per_minute = 3).await;
    let (st, v) = start(
        &s,
        json!({"phone": "13800138001", "purpose": "login", "ip": "203.0.113.9"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap();
    let resend_from = |ip: &'static str| {
        s.post(
            &format!("/v1/verifications/{id}/resend"),
            &json!({"ip": ip}),
        )
        .send()
    };
    assert_eq!(resend_from("203.0.113.9").await.unwrap().status(), 200);
    // The IPv4-mapped IPv6 spelling is the same address.
    assert_eq!(
        resend_from("::ffff:203.0.113.9").await.unwrap().status(),
        200
    );
    let r = resend_from(" 203.0.113.9 ").await.unwrap();
    let p = crate::harness::problem(r, 429, "rate_limited").await;
    assert_eq!(p["limit"], "ip", "{p}");
    limited(
        &s,
        json!({"phone": "13800138002", "purpose": "login", "ip": "203.0.113.9"}),
        "ip",
    )
    .await;

    for bad in [
        "",
        "203.0.113",
        "localhost",
        "2001:db8::g",
        "203.0.113.9/24",
    ] {
        let r = s
            .post(
                "/v1/verifications",
                &json!({"phone": "13800138003", "purpose": "login", "ip": bad}),
            )
            .send()
            .await
            .unwrap();
        let p = crate::harness::problem(r, 422, "invalid_request").await;
        assert_eq!(p["field"], "ip", "{bad:?}: {p}");
        let r = resend_from("not-an-ip").await.unwrap();
        let p = crate::harness::problem(r, 422, "invalid_request").await;
        assert_eq!(p["field"], "ip", "{p}");
    }
    let r = s
        .post(&format!("/v1/verifications/{id}/resend"), &json!({"ip": 7}))
        .send()
        .await
        .unwrap();
    let p = crate::harness::problem(r, 422, "invalid_request").await;
    assert_eq!(p["field"], "ip", "{p}");
    s.stop().await;
}

#[tokio::test]
async fn the_pumping_guard_caps_a_prefix_and_a_country() {
    let s = server_with(|c| {
        c.verify.prefix_sends_per_hour = 2;
        c.verify.country_sends_per_minute = 3;
    })
    .await;
    for i in 0..2 {
        assert_eq!(
            start(
                &s,
                json!({"phone": format!("1380013800{i}"), "purpose": "login"})
            )
            .await
            .0,
            201
        );
    }
    limited(
        &s,
        json!({"phone": "13800138009", "purpose": "login"}),
        "prefix",
    )
    .await;
    assert_eq!(
        start(&s, json!({"phone": "13900139000", "purpose": "login"}))
            .await
            .0,
        201
    );
    limited(
        &s,
        json!({"phone": "15000150000", "purpose": "login"}),
        "country",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn countries_outside_the_allow_list_are_refused_with_403() {
    let s = server().await;
    let body = json!({"phone": "+447911123456", "channel": "sms", "purpose": "login"});
    let b = problem(
        s.post("/v1/verifications", &body).send().await.unwrap(),
        403,
        "country_not_allowed",
    )
    .await;
    let country = b["country"].as_str().unwrap().to_string();
    assert_ne!(country, "CN");
    let (_, tenants) = json(
        s.admin(reqwest::Method::GET, "/v1/admin/tenants")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let tid = tenants.as_array().map_or_else(
        || tenants["tenants"][0]["id"].clone(),
        |a| a[0]["id"].clone(),
    );
    let r = s
        .admin(
            reqwest::Method::PUT,
            &format!(
                "/v1/admin/tenants/{}/verify-countries",
                tid.as_str().unwrap()
            ),
        )
        .json(&json!({"countries": ["CN", country]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(start(&s, body).await.0, 201);
    s.stop().await;
}
