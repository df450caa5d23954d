//! Message templates per tenant and locale, laid over the configured ones.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};
use crate::verify_support::{messages, server, start};

async fn default_tenant(s: &TestServer) -> String {
    let (_, tenants) = json(
        s.admin(Method::GET, "/v1/admin/tenants")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let list = tenants
        .as_array()
        .cloned()
        .unwrap_or_else(|| tenants["tenants"].as_array().unwrap().clone());
    list[0]["id"].as_str().unwrap().to_string()
}

async fn put_templates(s: &TestServer, tenant: &str, body: Value) -> reqwest::Response {
    s.admin(
        Method::PUT,
        &format!("/v1/admin/tenants/{tenant}/verify-templates"),
    )
    .json(&body)
    .send()
    .await
    .unwrap()
}

async fn newest_text(s: &TestServer, phone: &str, locale: &str) -> String {
    let (st, v) = start(
        s,
        json!({"phone": phone, "channel": "sms", "purpose": "login", "locale": locale}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    messages(s, phone).await[0]["text"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_tenants_own_texts_and_app_name_are_used_for_its_codes_and_can_be_cleared() {
    let s = server().await;
    let tenant = default_tenant(&s).await;

    let before = newest_text(&s, "13800138001", "en").await;
    assert!(before.starts_with("[phoneguard]"), "{before}");

    let r = put_templates(
        &s,
        &tenant,
        json!({"templates": {"app_name": "Acme Shop",
                             "templates": {"sms.en": "{app}: {code} is your code, valid {ttl_min} min"}}}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["templates"]["app_name"], "Acme Shop");

    let text = newest_text(&s, "13800138002", "en").await;
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    assert_eq!(
        text,
        format!("Acme Shop: {code} is your code, valid 10 min")
    );
    // The Chinese text keeps the built-in wording but takes the tenant's app name.
    let zh = newest_text(&s, "13800138003", "zh-CN").await;
    assert!(zh.starts_with("【Acme Shop】"), "{zh}");

    // Another tenant is not affected.
    let (_, other) = json(
        s.admin(Method::POST, "/v1/admin/tenants")
            .json(&json!({"name": "other"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (_, key) = json(
        s.admin(
            Method::POST,
            &format!("/v1/admin/tenants/{}/keys", other["id"].as_str().unwrap()),
        )
        .json(&json!({"mode": "test"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let r = s
        .client
        .post(s.url("/v1/verifications"))
        .bearer_auth(key["key"].as_str().unwrap())
        .json(
            &json!({"phone": "13800138004", "channel": "sms", "purpose": "login", "locale": "en"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (_, outbox) = json(
        s.client
            .get(s.url("/v1/sandbox/messages?phone=13800138004"))
            .bearer_auth(key["key"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let theirs = outbox["messages"][0]["text"].as_str().unwrap();
    assert!(theirs.starts_with("[phoneguard]"), "{theirs}");

    // GET shows them; null clears them.
    let (st, got) = json(
        s.admin(
            Method::GET,
            &format!("/v1/admin/tenants/{tenant}/verify-templates"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        got["templates"]["templates"]["sms.en"],
        "{app}: {code} is your code, valid {ttl_min} min"
    );
    assert_eq!(
        put_templates(&s, &tenant, json!({"templates": null}))
            .await
            .status(),
        200
    );
    let after = newest_text(&s, "13800138005", "en").await;
    assert!(after.starts_with("[phoneguard]"), "{after}");
    s.stop().await;
}

#[tokio::test]
async fn bad_templates_are_refused_naming_the_problem() {
    let s = server().await;
    let tenant = default_tenant(&s).await;
    for (body, needle) in [
        (
            json!({"templates": {"templates": {"sms.en": "no code here"}}}),
            "{code}",
        ),
        (
            json!({"templates": {"templates": {"sms.fr": "{code}"}}}),
            "unknown template",
        ),
        (
            json!({"templates": {"templates": {"sms.en": "{code}".repeat(200)}}}),
            "longer than",
        ),
        (json!({"templates": {"app_name": ""}}), "app_name"),
        (json!({"templates": {"colour": "red"}}), "colour"),
    ] {
        let b = problem(
            put_templates(&s, &tenant, body.clone()).await,
            422,
            "invalid_request",
        )
        .await;
        assert!(
            b["detail"].as_str().unwrap().contains(needle),
            "{body}: {b}"
        );
    }
    problem(
        put_templates(&s, "ten_nope", json!({"templates": null})).await,
        404,
        "not_found",
    )
    .await;
    s.stop().await;
}
