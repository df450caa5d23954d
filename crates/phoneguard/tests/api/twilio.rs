//! Twilio Verify v2 and Lookup v2 on the wire (`/v2`): HTTP Basic with the
//! account sid or key sid, form fields, Twilio's error JSON on every error,
//! and the same verification records as `/v1`. The official SDKs run against
//! the binary in CI (scripts/twilio/).

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

use crate::harness::{ADMIN, TestServer, json};
use crate::verify_support::{code_in, messages, server, server_with, server_with_callers, wrong};

/// The default tenant's account sid, from the admin API.
async fn account_sid(s: &TestServer) -> String {
    let (st, v) = json(
        s.admin(Method::GET, "/v1/admin/tenants")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let t = &v["tenants"][0];
    let sid = t["account_sid"].as_str().unwrap().to_string();
    assert_eq!(sid.len(), 34);
    assert_eq!(
        &sid[2..],
        t["id"].as_str().unwrap().trim_start_matches("ten_")
    );
    sid
}

/// A `/v2` request with HTTP Basic.
fn v2(s: &TestServer, method: Method, path: &str, user: &str, key: &str) -> RequestBuilder {
    s.client
        .request(method, s.url(path))
        .basic_auth(user, Some(key))
}

/// Asserts Twilio's error JSON with the HTTP status and Twilio code.
async fn twilio_error(resp: Response, status: u16, code: u64) -> Value {
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let (st, body) = json(resp).await;
    assert_eq!((st, body["code"].as_u64()), (status, Some(code)), "{body}");
    assert_eq!(ct, "application/json", "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}")
    );
    assert!(
        body.get("type").is_none() && body.get("title").is_none(),
        "{body}"
    );
    body
}

async fn create_service(s: &TestServer, ac: &str, name: &str) -> String {
    let (st, v) = json(
        v2(s, Method::POST, "/v2/Services", ac, &s.key)
            .form(&[("FriendlyName", name), ("CodeLength", "6")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    v["sid"].as_str().unwrap().to_string()
}

/// A server, the default tenant's account sid and a service named Acme.
async fn with_service() -> (TestServer, String, String) {
    let s = server().await;
    let ac = account_sid(&s).await;
    let va = create_service(&s, &ac, "Acme").await;
    (s, ac, va)
}

async fn send(s: &TestServer, ac: &str, va: &str, to: &str) -> (u16, Value) {
    json(
        v2(
            s,
            Method::POST,
            &format!("/v2/Services/{va}/Verifications"),
            ac,
            &s.key,
        )
        .form(&[("To", to), ("Channel", "sms")])
        .send()
        .await
        .unwrap(),
    )
    .await
}

async fn check_to(s: &TestServer, ac: &str, va: &str, to: &str, code: &str) -> Response {
    v2(
        s,
        Method::POST,
        &format!("/v2/Services/{va}/VerificationCheck"),
        ac,
        &s.key,
    )
    .form(&[("To", to), ("Code", code)])
    .send()
    .await
    .unwrap()
}

/// The `/v1` record of a `VE…` sid.
async fn v1_record(s: &TestServer, sid: &str) -> Value {
    let (st, g) = json(
        s.get(&format!("/v1/verifications/ver_{}", &sid[2..]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{g}");
    g
}

async fn code_for(s: &TestServer, national: &str) -> String {
    code_in(messages(s, national).await[0]["text"].as_str().unwrap())
}

#[tokio::test]
async fn a_twilio_verification_sends_resends_checks_and_is_the_v1_record() {
    let (s, ac, va) = with_service().await;
    assert!(va.starts_with("VA") && va.len() == 34);
    let to = "+8613800138000";
    let (st, v) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{v}");
    let ve = v["sid"].as_str().unwrap().to_string();
    assert!(ve.starts_with("VE") && ve.len() == 34);
    assert_eq!(
        (v["status"].as_str(), v["valid"].as_bool(), v["to"].as_str()),
        (Some("pending"), Some(false), Some(to))
    );
    assert_eq!(
        (v["service_sid"].as_str(), v["account_sid"].as_str()),
        (Some(va.as_str()), Some(ac.as_str()))
    );
    assert_eq!(v["send_code_attempts"].as_array().unwrap().len(), 1);
    let date = v["date_created"].as_str().unwrap();
    assert!(date.len() == 20 && date.ends_with('Z'), "{date}");
    // The carrier (local data) and the fields Twilio leaves null, exactly.
    assert_eq!(
        v["lookup"],
        json!({"carrier": {"error_code": null, "mobile_country_code": "460",
            "mobile_network_code": "00", "name": "cmcc", "type": "mobile"}}),
        "{v}"
    );
    assert!(
        [&v["amount"], &v["payee"], &v["sna"]]
            .iter()
            .all(|f| f.is_null()),
        "{v}"
    );
    assert_eq!(
        v["url"].as_str(),
        Some(format!("/v2/Services/{va}/Verifications/{ve}").as_str())
    );
    let text = messages(&s, "13800138000").await[0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("【Acme】"),
        "the service's name is the app name: {text}"
    );

    // A second create for the same To is a resend of the same sid.
    let (st, again) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{again}");
    assert_eq!(again["sid"], ve.as_str());
    assert_eq!(again["send_code_attempts"].as_array().unwrap().len(), 2);
    let code = code_for(&s, "13800138000").await;

    let (st, c) = json(check_to(&s, &ac, &va, to, &wrong(&code)).await).await;
    assert_eq!(
        (st, c["status"].as_str(), c["valid"].as_bool()),
        (200, Some("pending"), Some(false)),
        "{c}"
    );
    // By VerificationSid, with the key sid as user.
    let (st, k) = json(
        s.admin(Method::GET, "/v1/admin/tenants")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let tenant = k["tenants"][0]["id"].as_str().unwrap().to_string();
    let (_, t) = json(
        s.admin(Method::GET, &format!("/v1/admin/tenants/{tenant}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let sk = t["keys"][0]["sid"].as_str().unwrap().to_string();
    assert!(sk.starts_with("SK") && sk.len() == 34, "{t}");
    let (st, c) = json(
        v2(
            &s,
            Method::POST,
            &format!("/v2/Services/{va}/VerificationCheck"),
            &sk,
            &s.key,
        )
        .form(&[("VerificationSid", ve.as_str()), ("Code", code.as_str())])
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (st, c["status"].as_str(), c["valid"].as_bool()),
        (200, Some("approved"), Some(true)),
        "{c}"
    );

    // Approved: 20404 afterwards, to a fetch and to a second check.
    let fetched = v2(
        &s,
        Method::GET,
        &format!("/v2/Services/{va}/Verifications/{ve}"),
        &ac,
        &s.key,
    )
    .send()
    .await
    .unwrap();
    twilio_error(fetched, 404, 20404).await;
    twilio_error(check_to(&s, &ac, &va, to, &code).await, 404, 20404).await;

    // The same record on /v1: approved, two attempts.
    let g = v1_record(&s, &ve).await;
    assert_eq!(g["status"], "approved", "{g}");
    assert_eq!(g["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(g["purpose"], va.as_str());
    s.stop().await;
}

/// The resend rule is decided by the start's one write: the same sid, the
/// old code dead and the new one alive, counted as a send like any resend;
/// once approved, the next create is a new verification.
#[tokio::test]
async fn a_second_create_resends_the_same_sid_with_a_new_code_counted_as_a_send() {
    let s = server_with(|c| c.verify.max_sends_per_phone = 3).await;
    let ac = account_sid(&s).await;
    let va = create_service(&s, &ac, "Acme").await;
    let (to, national) = ("+8613800138005", "13800138005");
    let (st, first) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{first}");
    let sid = first["sid"].as_str().unwrap().to_string();
    let old = code_for(&s, national).await;
    let (st, second) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{second}");
    assert_eq!(second["sid"], sid.as_str());
    assert_eq!(second["date_created"], first["date_created"]);
    let attempts = second["send_code_attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{second}");
    assert_ne!(attempts[0]["attempt_sid"], attempts[1]["attempt_sid"]);
    assert_eq!(messages(&s, national).await.len(), 2);
    let new = code_for(&s, national).await;

    // The first code is dead (unless the two happen to be equal), the new one passes.
    if old != new {
        let (st, c) = json(check_to(&s, &ac, &va, to, &old).await).await;
        assert_eq!(
            (st, c["status"].as_str(), c["sid"].as_str()),
            (200, Some("pending"), Some(sid.as_str())),
            "{c}"
        );
    }
    let (st, c) = json(check_to(&s, &ac, &va, to, &new).await).await;
    assert_eq!(
        (st, c["status"].as_str(), c["sid"].as_str()),
        (200, Some("approved"), Some(sid.as_str())),
        "{c}"
    );
    // On /v1 it is one record with two attempts.
    let g = v1_record(&s, &sid).await;
    assert_eq!(g["status"], "approved", "{g}");
    assert_eq!(g["attempts"].as_array().unwrap().len(), 2, "{g}");

    // Approved is not pending: the next create is a new verification.
    let (st, third) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{third}");
    assert_ne!(third["sid"], sid.as_str());
    assert_eq!(third["send_code_attempts"].as_array().unwrap().len(), 1);
    // A fourth send to this phone is over its limit of three: the resend counted.
    let (st, e) = send(&s, &ac, &va, to).await;
    assert_eq!((st, e["code"].as_u64()), (429, Some(60203)), "{e}");
    s.stop().await;
}

/// The start's one write inserts the new verification and takes it out
/// again when another of the same `To` was pending: after a resend there is
/// one verification (one started on the dashboard, one record with both
/// attempts), and a pending one whose time is up is canceled and replaced,
/// not resent to.
#[tokio::test]
async fn a_resend_leaves_one_record_and_an_expired_pending_one_is_replaced() {
    let s = server_with(|c| c.verify.code_ttl_s = 2).await;
    let ac = account_sid(&s).await;
    let va = create_service(&s, &ac, "Acme").await;
    let (to, national) = ("+8613800138011", "13800138011");
    let (st, first) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{first}");
    let (st, again) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{again}");
    assert_eq!(again["sid"], first["sid"]);
    let html = dashboard(&s, "/dashboard").await;
    assert!(html.contains("id=\"verifications-started\">1<"), "{html}");
    let sid = first["sid"].as_str().unwrap();
    let g = v1_record(&s, sid).await;
    assert_eq!(
        (
            g["status"].as_str(),
            g["attempts"].as_array().unwrap().len()
        ),
        (Some("pending"), 2),
        "{g}"
    );

    // Its time up, the next create starts a new verification.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (st, third) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{third}");
    assert_ne!(third["sid"], first["sid"], "{third}");
    assert_eq!(third["send_code_attempts"].as_array().unwrap().len(), 1);
    let g = v1_record(&s, sid).await;
    assert_eq!(g["status"], "canceled", "{g}");
    let html = dashboard(&s, "/dashboard").await;
    assert!(html.contains("id=\"verifications-started\">2<"), "{html}");
    let code = code_for(&s, national).await;
    let (st, c) = json(check_to(&s, &ac, &va, to, &code).await).await;
    assert_eq!(
        (st, c["status"].as_str(), c["sid"].as_str()),
        (200, Some("approved"), third["sid"].as_str()),
        "{c}"
    );
    s.stop().await;
}

/// `auto` keeps a resend's rule: a create after the flash call's window
/// ended unanswered resends the same sid by SMS.
#[tokio::test]
async fn an_auto_create_after_an_unanswered_flash_call_resends_by_sms() {
    let s = server_with_callers(&["+861012345601", "+861012345602"], |c| {
        c.verify.flash_call_window_s = 1
    })
    .await;
    let ac = account_sid(&s).await;
    let va = create_service(&s, &ac, "Acme").await;
    let to = "+8613800138008";
    let auto = || async {
        json(
            v2(
                &s,
                Method::POST,
                &format!("/v2/Services/{va}/Verifications"),
                &ac,
                &s.key,
            )
            .form(&[("To", to), ("Channel", "auto")])
            .send()
            .await
            .unwrap(),
        )
        .await
    };
    let (st, first) = auto().await;
    assert_eq!(st, 201, "{first}");
    assert_eq!(first["channel"], "flash_call", "{first}");
    assert!(messages(&s, "13800138008").await.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (st, again) = auto().await;
    assert_eq!(st, 201, "{again}");
    assert_eq!(again["sid"], first["sid"]);
    let channels: Vec<&str> = again["send_code_attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["flash_call", "sms"], "{again}");
    let code = code_for(&s, "13800138008").await;
    let (st, c) = json(check_to(&s, &ac, &va, to, &code).await).await;
    assert_eq!((st, c["status"].as_str()), (200, Some("approved")), "{c}");
    s.stop().await;
}

/// A `/v1` start for a phone and purpose still cancels the pending one: the
/// Twilio rule is the Twilio path's only.
#[tokio::test]
async fn a_v1_start_on_a_service_purpose_still_cancels_the_pending_one() {
    let (s, ac, va) = with_service().await;
    let (st, first) = send(&s, &ac, &va, "+8613800138007").await;
    assert_eq!(st, 201, "{first}");
    let (st, v) = json(
        s.post(
            "/v1/verifications",
            &json!({"phone": "13800138007", "channel": "sms", "purpose": va}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let g = v1_record(&s, first["sid"].as_str().unwrap()).await;
    assert_ne!(v["id"], g["id"]);
    assert_eq!(g["status"], "canceled", "{g}");
    s.stop().await;
}

#[tokio::test]
async fn five_wrong_checks_then_60202_and_a_canceled_verification_is_20404() {
    let (s, ac, va) = with_service().await;
    let to = "+8613900139000";
    assert_eq!(send(&s, &ac, &va, to).await.0, 201);
    let code = code_for(&s, "13900139000").await;
    for i in 0..5 {
        let (st, c) = json(check_to(&s, &ac, &va, to, &wrong(&code)).await).await;
        assert_eq!(
            (st, c["valid"].as_bool()),
            (200, Some(false)),
            "check {i}: {c}"
        );
    }
    twilio_error(check_to(&s, &ac, &va, to, &code).await, 429, 60202).await;

    let to = "+8613700137000";
    let (_, v) = send(&s, &ac, &va, to).await;
    let ve = v["sid"].as_str().unwrap();
    let (st, c) = json(
        v2(
            &s,
            Method::POST,
            &format!("/v2/Services/{va}/Verifications/{ve}"),
            &ac,
            &s.key,
        )
        .form(&[("Status", "canceled")])
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((st, c["status"].as_str()), (200, Some("canceled")), "{c}");
    let code = code_for(&s, "13700137000").await;
    twilio_error(check_to(&s, &ac, &va, to, &code).await, 404, 20404).await;
    let bad = v2(
        &s,
        Method::POST,
        &format!("/v2/Services/{va}/Verifications/{ve}"),
        &ac,
        &s.key,
    )
    .form(&[("Status", "paused")])
    .send()
    .await
    .unwrap();
    twilio_error(bad, 400, 60200).await;
    s.stop().await;
}

#[tokio::test]
async fn services_are_listed_updated_deleted_and_private_to_their_tenant() {
    let (s, ac, va) = with_service().await;
    let (st, l) = json(
        v2(&s, Method::GET, "/v2/Services", &ac, &s.key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, l["meta"]["key"].as_str()),
        (200, Some("services")),
        "{l}"
    );
    assert_eq!(l["services"][0]["sid"], va.as_str());
    let (st, u) = json(
        v2(&s, Method::POST, &format!("/v2/Services/{va}"), &ac, &s.key)
            .form(&[("FriendlyName", "Shop"), ("CodeLength", "8")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, u["friendly_name"].as_str(), u["code_length"].as_u64()),
        (200, Some("Shop"), Some(8)),
        "{u}"
    );
    for (form, field) in [
        (vec![("CodeLength", "3")], "CodeLength"),
        (vec![("CodeLength", "x")], "CodeLength"),
        (vec![("FriendlyName", "")], "FriendlyName"),
    ] {
        let r = v2(&s, Method::POST, "/v2/Services", &ac, &s.key)
            .form(&form)
            .send()
            .await
            .unwrap();
        let e = twilio_error(r, 400, 60200).await;
        assert!(e["message"].as_str().unwrap().contains(field), "{e}");
    }

    // Another tenant: its own account sid and key; this tenant's service is 20404 to it.
    let other_key = s.other_tenant_key("other").await;
    let (_, ts) = json(
        s.admin(Method::GET, "/v1/admin/tenants")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let other_ac = ts["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "other")
        .unwrap()["account_sid"]
        .as_str()
        .unwrap()
        .to_string();
    let theirs = v2(
        &s,
        Method::GET,
        &format!("/v2/Services/{va}"),
        &other_ac,
        &other_key,
    )
    .send()
    .await
    .unwrap();
    twilio_error(theirs, 404, 20404).await;
    let theirs = v2(
        &s,
        Method::POST,
        &format!("/v2/Services/{va}/Verifications"),
        &other_ac,
        &other_key,
    )
    .form(&[("To", "+8613800138000"), ("Channel", "sms")])
    .send()
    .await
    .unwrap();
    twilio_error(theirs, 404, 20404).await;
    let gone = v2(
        &s,
        Method::DELETE,
        &format!("/v2/Services/{va}"),
        &other_ac,
        &other_key,
    )
    .send()
    .await
    .unwrap();
    twilio_error(gone, 404, 20404).await;
    // Mixed credentials: one tenant's account sid with the other's key.
    let mixed = v2(&s, Method::GET, "/v2/Services", &ac, &other_key)
        .send()
        .await
        .unwrap();
    twilio_error(mixed, 401, 20003).await;

    let del = v2(
        &s,
        Method::DELETE,
        &format!("/v2/Services/{va}"),
        &ac,
        &s.key,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(del.status(), 204);
    let again = v2(&s, Method::GET, &format!("/v2/Services/{va}"), &ac, &s.key)
        .send()
        .await
        .unwrap();
    twilio_error(again, 404, 20404).await;
    s.stop().await;
}

#[tokio::test]
async fn every_v2_error_is_twilio_json_never_problem_json() {
    let (s, ac, va) = with_service().await;
    // Credentials: none, Bearer, wrong key, malformed sid, the admin token.
    let none = s.client.get(s.url("/v2/Services")).send().await.unwrap();
    twilio_error(none, 401, 20003).await;
    let bearer = s
        .client
        .get(s.url("/v2/Services"))
        .bearer_auth(&s.key)
        .send()
        .await
        .unwrap();
    twilio_error(bearer, 401, 20003).await;
    let wrong_key = v2(
        &s,
        Method::GET,
        "/v2/Services",
        &ac,
        "pk_test_wrongwrongwrong",
    )
    .send()
    .await
    .unwrap();
    twilio_error(wrong_key, 401, 20003).await;
    let bad_user = v2(&s, Method::GET, "/v2/Services", "ACnothex", &s.key)
        .send()
        .await
        .unwrap();
    twilio_error(bad_user, 401, 20003).await;
    let admin = v2(&s, Method::GET, "/v2/Services", &ac, ADMIN)
        .send()
        .await
        .unwrap();
    twilio_error(admin, 401, 20003).await;
    let junk = s
        .client
        .get(s.url("/v2/Services"))
        .header("authorization", "Basic !!!not-base64")
        .send()
        .await
        .unwrap();
    twilio_error(junk, 401, 20003).await;

    // Parameters.
    let path = format!("/v2/Services/{va}/Verifications");
    for (form, code, field) in [
        (vec![("To", "123"), ("Channel", "sms")], 60200, "To"),
        (vec![("Channel", "sms")], 60200, "To"),
        (
            vec![("To", "+8613800138000"), ("Channel", "whatsapp")],
            60200,
            "Channel",
        ),
        (vec![("To", "+8613800138000")], 60200, "Channel"),
        (
            vec![
                ("To", "+8613800138000"),
                ("Channel", "sms"),
                ("Locale", "fr"),
            ],
            60200,
            "Locale",
        ),
        (
            vec![("To", "+861012345678"), ("Channel", "sms")],
            60205,
            "landline",
        ),
    ] {
        let r = v2(&s, Method::POST, &path, &ac, &s.key)
            .form(&form)
            .send()
            .await
            .unwrap();
        let e = twilio_error(r, 400, code).await;
        assert!(e["message"].as_str().unwrap().contains(field), "{e}");
    }
    let no_code = v2(
        &s,
        Method::POST,
        &format!("/v2/Services/{va}/VerificationCheck"),
        &ac,
        &s.key,
    )
    .form(&[("To", "+8613800138000")])
    .send()
    .await
    .unwrap();
    twilio_error(no_code, 400, 60200).await;
    let bad_ve = v2(
        &s,
        Method::POST,
        &format!("/v2/Services/{va}/VerificationCheck"),
        &ac,
        &s.key,
    )
    .form(&[("VerificationSid", "VE123"), ("Code", "123456")])
    .send()
    .await
    .unwrap();
    twilio_error(bad_ve, 400, 60200).await;
    let unknown_ve = v2(
        &s,
        Method::GET,
        &format!("/v2/Services/{va}/Verifications/VE0196f6d1c3a47b6e8f5c2d1a9b3e7f40"),
        &ac,
        &s.key,
    )
    .send()
    .await
    .unwrap();
    twilio_error(unknown_ve, 404, 20404).await;

    // The framework's own rejections on /v2 paths.
    let nowhere = v2(&s, Method::GET, "/v2/Nowhere", &ac, &s.key)
        .send()
        .await
        .unwrap();
    twilio_error(nowhere, 404, 20404).await;
    let put = v2(&s, Method::PUT, "/v2/Services", &ac, &s.key)
        .send()
        .await
        .unwrap();
    twilio_error(put, 405, 20004).await;
    let big = v2(&s, Method::POST, "/v2/Services", &ac, &s.key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("FriendlyName={}", "a".repeat(200_000)))
        .send()
        .await
        .unwrap();
    twilio_error(big, 413, 60200).await;
    // /v1 keeps problem+json.
    let v1 = s
        .client
        .get(s.url("/v1/verifications/ver_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(v1.headers()["content-type"], "application/problem+json");
    s.stop().await;
}

#[tokio::test]
async fn lookup_answers_line_type_from_local_data_and_validation_errors() {
    let s = server().await;
    let ac = account_sid(&s).await;
    let get = |n: &str, fields: &str| {
        v2(
            &s,
            Method::GET,
            &format!("/v2/PhoneNumbers/{n}?Fields={fields}"),
            &ac,
            &s.key,
        )
        .send()
    };
    let cases = [
        ("+8613800138000", "mobile", "China Mobile", "00"),
        ("+8617001234567", "mobile", "China Telecom (MVNO)", "03"),
        ("+8614812345678", "iot", "China Mobile (IoT)", "00"),
    ];
    for (n, kind, name, mnc) in cases {
        let (st, v) = json(get(n, "line_type_intelligence").await.unwrap()).await;
        assert_eq!((st, v["valid"].as_bool()), (200, Some(true)), "{v}");
        assert_eq!(v["phone_number"], n);
        assert_eq!(v["country_code"], "CN");
        assert_eq!(v["calling_country_code"], "86");
        let lti = &v["line_type_intelligence"];
        assert_eq!(
            (
                lti["type"].as_str(),
                lti["carrier_name"].as_str(),
                lti["mobile_network_code"].as_str()
            ),
            (Some(kind), Some(name), Some(mnc)),
            "{v}"
        );
        assert_eq!(lti["mobile_country_code"], "460");
        assert!(
            v["line_status"].is_null() && v["identity_match"].is_null(),
            "unrequested: {v}"
        );
    }
    let (st, v) = json(get("+86123", "").await.unwrap()).await;
    assert_eq!((st, v["valid"].as_bool()), (200, Some(false)), "{v}");
    assert_eq!(v["validation_errors"], json!(["TOO_SHORT"]));
    assert!(v["line_type_intelligence"].is_null());
    let (_, v) = json(get("abc", "").await.unwrap()).await;
    assert_eq!(v["validation_errors"], json!(["NOT_A_NUMBER"]));
    let (_, v) = json(get("+8613800138000", "caller_name").await.unwrap()).await;
    assert_eq!(
        v["caller_name"]["error_code"], 60607,
        "a package not offered says so: {v}"
    );
    let r = get("+8613800138000", "nonsense").await.unwrap();
    twilio_error(r, 400, 60200).await;
    let r = s
        .client
        .get(s.url("/v2/PhoneNumbers/+8613800138000"))
        .send()
        .await
        .unwrap();
    twilio_error(r, 401, 20003).await;
    s.stop().await;
}

#[tokio::test]
async fn lookup_line_status_and_identity_match_ask_the_sandbox_suppliers() {
    let s = server().await;
    let ac = account_sid(&s).await;
    let (st, v) = json(
        v2(
            &s,
            Method::GET,
            "/v2/PhoneNumbers/+8613800138000?Fields=line_status,identity_match&LastName=%E5%BC%A0&FirstName=%E4%B8%89&NationalId=11010519491231002X",
            &ac,
            &s.key,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let status = &v["line_status"];
    assert!(
        status["status"].is_string() || status["error_code"].is_number(),
        "{v}"
    );
    let m = &v["identity_match"];
    assert!(
        m["summary_score"].is_number() || m["error_code"].is_number(),
        "{v}"
    );
    // Bad identity input is refused before any supplier is paid.
    let r = v2(
        &s,
        Method::GET,
        "/v2/PhoneNumbers/+8613800138000?Fields=identity_match&FirstName=%E4%B8%89&NationalId=123",
        &ac,
        &s.key,
    )
    .send()
    .await
    .unwrap();
    twilio_error(r, 400, 60200).await;
    s.stop().await;
}

#[tokio::test]
async fn a_created_key_shows_its_sid_and_works_as_the_basic_user() {
    let s = server().await;
    let (_, ts) = json(
        s.admin(Method::GET, "/v1/admin/tenants")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let tenant = ts["tenants"][0]["id"].as_str().unwrap();
    let (st, k) = json(
        s.admin(Method::POST, &format!("/v1/admin/tenants/{tenant}/keys"))
            .json(&json!({"mode": "test"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{k}");
    let sk = k["sid"].as_str().unwrap();
    assert_eq!(
        &sk[2..],
        k["id"].as_str().unwrap().trim_start_matches("key_")
    );
    let key = k["key"].as_str().unwrap();
    let ok = v2(&s, Method::GET, "/v2/Services", sk, key)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // The key sid with another key of the same tenant is refused.
    let other = v2(&s, Method::GET, "/v2/Services", sk, &s.key)
        .send()
        .await
        .unwrap();
    twilio_error(other, 401, 20003).await;
    s.stop().await;
}

/// A `/v2` create with extra form fields; returns status and body.
async fn send_with(
    s: &TestServer,
    ac: &str,
    va: &str,
    to: &str,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![("To", to), ("Channel", "sms")];
    form.extend_from_slice(extra);
    json(
        v2(
            s,
            Method::POST,
            &format!("/v2/Services/{va}/Verifications"),
            ac,
            &s.key,
        )
        .form(&form)
        .send()
        .await
        .unwrap(),
    )
    .await
}

/// The text of the newest message to a phone.
async fn text_to(s: &TestServer, phone: &str) -> String {
    messages(s, phone).await[0]["text"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The cells of a dashboard table's row whose first cell is `first`.
fn row_cells(html: &str, table_id: &str, first: &str) -> Vec<String> {
    let table = &html[html
        .find(&format!("id=\"{table_id}\""))
        .unwrap_or_else(|| panic!("no {table_id} in {html}"))..];
    let table = &table[..table.find("</table>").unwrap()];
    let at = table
        .find(&format!("<td>{first}</td>"))
        .unwrap_or_else(|| panic!("no row {first} in {table}"));
    let row = &table[at..table[at..].find("</tr>").unwrap() + at];
    row.split("<td")
        .skip(1)
        .map(|c| {
            let c = &c[c.find('>').unwrap() + 1..];
            c[..c.find("</td>").unwrap()].to_string()
        })
        .collect()
}

/// The dashboard page at `path`, as the admin.
async fn dashboard(s: &TestServer, path: &str) -> String {
    let c = crate::dashboard::no_redirects();
    let (cookie, _) = crate::dashboard::login(s, &c).await;
    let (st, html) = crate::dashboard::page(s, &c, &cookie, path).await;
    assert_eq!(st, 200, "{html}");
    html
}

#[tokio::test]
async fn approving_by_status_counts_the_code_as_entered_like_a_right_check() {
    let (s, ac, va) = with_service().await;
    // One verification approved by its code on /v1 …
    let (st, v) = crate::verify_support::start(
        &s,
        json!({"phone": "13800138001", "channel": "sms", "purpose": "login"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let supplier = v["attempts"][0]["supplier"].as_str().unwrap().to_string();
    let code = code_for(&s, "13800138001").await;
    let (st, c) = crate::verify_support::check(&s, v["id"].as_str().unwrap(), &code).await;
    assert_eq!((st, c["status"].as_str()), (200, Some("approved")), "{c}");
    let html = dashboard(&s, "/dashboard/verifications?window=1h").await;
    let before = row_cells(&html, "funnel-supplier", &supplier);
    assert_eq!(
        (before[2].as_str(), before[4].as_str()),
        ("1", "1"),
        "{before:?}"
    );

    // … and one approved by `Status=approved` on /v2, through the same supplier.
    let to = "+8613800138002";
    let (st, v) = send(&s, &ac, &va, to).await;
    assert_eq!(st, 201, "{v}");
    let ve = v["sid"].as_str().unwrap();
    let (st, u) = json(
        v2(
            &s,
            Method::POST,
            &format!("/v2/Services/{va}/Verifications/{ve}"),
            &ac,
            &s.key,
        )
        .form(&[("Status", "approved")])
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (st, u["status"].as_str(), u["valid"].as_bool()),
        (200, Some("approved"), Some(true)),
        "{u}"
    );
    let (st, g) = json(
        s.get(&format!("/v1/verifications/ver_{}", &ve[2..]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, g["status"].as_str()), (200, Some("approved")), "{g}");
    assert_eq!(g["attempts"][0]["supplier"], supplier.as_str(), "{g}");
    let html = dashboard(&s, "/dashboard/verifications?window=1h").await;
    let after = row_cells(&html, "funnel-supplier", &supplier);
    assert_eq!(
        (after[2].as_str(), after[4].as_str()),
        ("2", "2"),
        "sent and entered both grow by one: {after:?}"
    );
    // Approved: single use, as after a right check.
    let code = code_for(&s, "13800138002").await;
    twilio_error(check_to(&s, &ac, &va, to, &code).await, 404, 20404).await;
    s.stop().await;
}

#[tokio::test]
async fn custom_friendly_name_names_the_app_of_that_message_only() {
    let (s, ac, va) = with_service().await;
    let to = "+8613800138003";
    let (st, v) = send_with(&s, &ac, &va, to, &[("CustomFriendlyName", "Acme Pay")]).await;
    assert_eq!(st, 201, "{v}");
    let text = text_to(&s, "13800138003").await;
    assert!(text.contains("【Acme Pay】"), "{text}");
    // The resend without it: the service's name again.
    let (st, v) = send(&s, &ac, &va, to).await;
    assert_eq!(
        (st, v["send_code_attempts"].as_array().map(Vec::len)),
        (201, Some(2)),
        "{v}"
    );
    let text = text_to(&s, "13800138003").await;
    assert!(text.contains("【Acme】"), "{text}");
    for bad in ["", "   ", "x".repeat(31).as_str()] {
        let (st, e) = send_with(
            &s,
            &ac,
            &va,
            "+8613800138004",
            &[("CustomFriendlyName", bad)],
        )
        .await;
        assert_eq!((st, e["code"].as_u64()), (400, Some(60200)), "{bad:?}: {e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("CustomFriendlyName"),
            "{e}"
        );
    }
    assert!(
        messages(&s, "13800138004").await.is_empty(),
        "nothing is sent for a refused name"
    );
    s.stop().await;
}

#[tokio::test]
async fn locale_defaults_by_the_numbers_country_and_an_unknown_one_is_60200() {
    let s = crate::verify_support::server_with(|c| {
        c.verify.allowed_countries = vec!["CN".into(), "HK".into()];
    })
    .await;
    let ac = account_sid(&s).await;
    let va = create_service(&s, &ac, "Acme").await;
    let (st, v) = send(&s, &ac, &va, "+85261234567").await;
    assert_eq!(st, 201, "{v}");
    let text = text_to(&s, "%2B85261234567").await;
    assert!(
        text.starts_with("[Acme] Your verification code is"),
        "English outside +86: {text}"
    );
    let (st, v) = send(&s, &ac, &va, "+8613800138005").await;
    assert_eq!(st, 201, "{v}");
    assert!(text_to(&s, "13800138005").await.starts_with("【Acme】"));
    let (st, v) = send_with(&s, &ac, &va, "+8613800138006", &[("Locale", "en")]).await;
    assert_eq!(st, 201, "{v}");
    assert!(text_to(&s, "13800138006").await.starts_with("[Acme] Your"));
    for bad in ["fr", "xx-YY", ""] {
        let (st, e) = send_with(&s, &ac, &va, "+8613800138007", &[("Locale", bad)]).await;
        assert_eq!((st, e["code"].as_u64()), (400, Some(60200)), "{bad:?}: {e}");
        assert!(e["message"].as_str().unwrap().contains("Locale"), "{e}");
    }
    s.stop().await;
}

#[tokio::test]
async fn services_are_listed_a_page_at_a_time_with_absolute_next_page_urls() {
    let s = server().await;
    let ac = account_sid(&s).await;
    let mut made = vec![];
    for i in 0..5 {
        made.push(create_service(&s, &ac, &format!("Shop {i}")).await);
    }
    let list = |q: String| {
        let s = &s;
        let ac = ac.clone();
        async move {
            json(
                v2(s, Method::GET, &format!("/v2/Services{q}"), &ac, &s.key)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    // Default page size 50: all five, no next page.
    let (st, all) = list(String::new()).await;
    assert_eq!(st, 200, "{all}");
    assert_eq!(all["meta"]["page_size"], 50);
    assert_eq!(all["services"].as_array().unwrap().len(), 5);
    assert!(all["meta"]["next_page_url"].is_null(), "{all}");
    // Two a page: follow next_page_url as the SDKs do.
    let (st, mut page) = list("?PageSize=2".into()).await;
    assert_eq!(st, 200, "{page}");
    let first = page["meta"]["first_page_url"].as_str().unwrap().to_string();
    assert!(first.starts_with("http://127.0.0.1:"), "absolute: {first}");
    let mut seen = vec![];
    let mut pages = 0;
    loop {
        pages += 1;
        assert_eq!(page["meta"]["key"], "services");
        assert_eq!(page["meta"]["page"], pages - 1);
        for svc in page["services"].as_array().unwrap() {
            seen.push(svc["sid"].as_str().unwrap().to_string());
        }
        let Some(next) = page["meta"]["next_page_url"].as_str() else {
            break;
        };
        let (st, p) = json(
            s.client
                .get(next)
                .basic_auth(&ac, Some(&s.key))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 200, "{p}");
        page = p;
    }
    assert_eq!((pages, seen), (3, made), "oldest first, each once");
    assert!(page["meta"]["previous_page_url"].is_string());
    for bad in ["?PageSize=0", "?PageSize=1001", "?PageSize=x", "?Page=-1"] {
        let r = v2(&s, Method::GET, &format!("/v2/Services{bad}"), &ac, &s.key)
            .send()
            .await
            .unwrap();
        twilio_error(r, 400, 60200).await;
    }
    s.stop().await;
}

#[tokio::test]
async fn a_v2_verification_counts_in_usage_and_on_the_dashboard_like_a_v1_one() {
    let (s, ac, va) = with_service().await;
    let verify_calls = |u: &Value| {
        u["usage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["capability"] == "verify")
            .map_or(0, |r| r["calls"].as_i64().unwrap())
    };
    let usage = || async { json(s.get("/v1/usage").send().await.unwrap()).await.1 };
    assert_eq!(verify_calls(&usage().await), 0);

    // Through /v2: a create and a right check.
    let to = "+8613800138008";
    assert_eq!(send(&s, &ac, &va, to).await.0, 201);
    let code = code_for(&s, "13800138008").await;
    let (st, c) = json(check_to(&s, &ac, &va, to, &code).await).await;
    assert_eq!((st, c["status"].as_str()), (200, Some("approved")), "{c}");
    let after_v2 = verify_calls(&usage().await);
    assert!(after_v2 >= 1, "the /v2 start is counted");
    let html = dashboard(&s, "/dashboard").await;
    assert!(html.contains("id=\"verifications-started\">1<"), "{html}");
    let funnel = dashboard(&s, "/dashboard/verifications?window=1h").await;
    let sms = row_cells(&funnel, "funnel-channel", "sms");
    assert_eq!((sms[1].as_str(), sms[3].as_str()), ("1", "1"), "{sms:?}");

    // The same through /v1: the same increments.
    let (st, v) = crate::verify_support::start(
        &s,
        json!({"phone": "13800138009", "channel": "sms", "purpose": "login"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let code = code_for(&s, "13800138009").await;
    let (st, c) = crate::verify_support::check(&s, v["id"].as_str().unwrap(), &code).await;
    assert_eq!((st, c["status"].as_str()), (200, Some("approved")), "{c}");
    assert_eq!(
        verify_calls(&usage().await),
        2 * after_v2,
        "the same count a pair"
    );
    let html = dashboard(&s, "/dashboard").await;
    assert!(html.contains("id=\"verifications-started\">2<"), "{html}");
    let funnel = dashboard(&s, "/dashboard/verifications?window=1h").await;
    let sms = row_cells(&funnel, "funnel-channel", "sms");
    assert_eq!((sms[1].as_str(), sms[3].as_str()), ("2", "2"), "{sms:?}");
    s.stop().await;
}
