use reqwest::Method;
use serde_json::json;

use crate::harness::{TestServer, json, problem};

#[tokio::test]
async fn tenant_endpoints_refuse_missing_wrong_and_admin_credentials() {
    let s = TestServer::start().await;
    let url = s.url("/v1/numbers/13800138000");
    problem(
        s.client.get(&url).send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(
        s.client
            .get(&url)
            .bearer_auth("pk_test_nope")
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(
        s.client
            .get(&url)
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(
        s.client
            .get(&url)
            .bearer_auth(crate::harness::ADMIN)
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn admin_endpoints_refuse_api_keys_and_wrong_tokens() {
    let s = TestServer::start().await;
    let url = s.url("/v1/admin/tenants");
    problem(
        s.client.get(&url).send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(
        s.client.get(&url).bearer_auth(&s.key).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    problem(
        s.client
            .get(&url)
            .bearer_auth("adm_wrong_token_000000000")
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn a_key_is_shown_once_works_at_once_and_stops_working_when_revoked() {
    let s = TestServer::start().await;
    let (st, tenant) = json(
        s.admin(Method::POST, "/v1/admin/tenants")
            .json(&json!({"name": "acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201);
    let tid = tenant["id"].as_str().unwrap();
    assert!(tid.starts_with("ten_"));
    let (st, key) = json(
        s.admin(Method::POST, &format!("/v1/admin/tenants/{tid}/keys"))
            .json(&json!({"mode": "live"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201);
    let secret = key["key"].as_str().unwrap().to_string();
    assert!(secret.starts_with("pk_live_"), "{key}");
    assert!(key["id"].as_str().unwrap().starts_with("key_"));

    // Listed keys carry a hint, never the key or its hash.
    let (_, listed) = json(
        s.admin(Method::GET, &format!("/v1/admin/tenants/{tid}/keys"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let text = listed.to_string();
    assert!(
        !text.contains(&secret[8..]),
        "key never shown again: {text}"
    );
    assert!(
        listed["keys"][0]["hint"]
            .as_str()
            .unwrap()
            .starts_with("pk_live_")
    );
    assert!(listed["keys"][0].get("hash").is_none());

    let lookup = || {
        s.client
            .get(s.url("/v1/numbers/13800138000"))
            .bearer_auth(&secret)
            .send()
    };
    assert_eq!(lookup().await.unwrap().status(), 200);
    let (st, revoked) = json(
        s.admin(
            Method::DELETE,
            &format!("/v1/admin/keys/{}", key["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    assert!(revoked["revoked_at"].is_string());
    problem(lookup().await.unwrap(), 401, "unauthorized").await;
    s.stop().await;
}

#[tokio::test]
async fn tenant_names_are_validated_and_unique() {
    let s = TestServer::start().await;
    let create = |name: serde_json::Value| {
        s.admin(Method::POST, "/v1/admin/tenants")
            .json(&json!({ "name": name }))
            .send()
    };
    assert_eq!(create(json!("shop")).await.unwrap().status(), 201);
    problem(create(json!("shop")).await.unwrap(), 409, "conflict").await;
    problem(create(json!("  ")).await.unwrap(), 422, "invalid_request").await;
    problem(
        create(json!("x".repeat(65))).await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    problem(
        create(json!("a\u{0007}b")).await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    let (_, all) = json(
        s.admin(Method::GET, "/v1/admin/tenants")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let names: Vec<&str> = all["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "shop"]);
    s.stop().await;
}

#[tokio::test]
async fn key_creation_checks_mode_and_tenant() {
    let s = TestServer::start().await;
    let b = problem(
        s.admin(Method::POST, "/v1/admin/tenants/ten_missing/keys")
            .json(&json!({"mode": "test"}))
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("ten_missing"));
    let (_, all) = json(
        s.admin(Method::GET, "/v1/admin/tenants")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let tid = all["tenants"][0]["id"].as_str().unwrap().to_string();
    let b = problem(
        s.admin(Method::POST, &format!("/v1/admin/tenants/{tid}/keys"))
            .json(&json!({"mode": "prod"}))
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(b["field"], "mode");
    problem(
        s.admin(Method::DELETE, "/v1/admin/keys/key_nope")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    s.stop().await;
}
