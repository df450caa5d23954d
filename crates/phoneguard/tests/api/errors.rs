use serde_json::json;

use crate::harness::{ADMIN, TestServer, problem};

#[tokio::test]
async fn unknown_paths_and_methods_get_problem_json() {
    let s = TestServer::start().await;
    problem(
        s.get("/v9/whatever").send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    problem(
        s.client.delete(s.url("/healthz")).send().await.unwrap(),
        405,
        "method_not_allowed",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413() {
    let s = TestServer::start().await;
    let big = format!("{{\"name\": \"{}\"}}", "a".repeat(70 * 1024));
    let r = s
        .admin(reqwest::Method::POST, "/v1/admin/tenants")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    problem(r, 413, "payload_too_large").await;
    s.stop().await;
}

#[tokio::test]
async fn malformed_json_wrong_types_and_wrong_content_type_are_named() {
    let s = TestServer::start().await;
    let post = |body: &'static str, ct: &'static str| {
        s.admin(reqwest::Method::POST, "/v1/admin/tenants")
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let b = problem(
        post("{\"name\": ", "application/json").await.unwrap(),
        400,
        "invalid_request",
    )
    .await;
    assert!(
        b["detail"].as_str().unwrap().contains("not valid JSON"),
        "{b}"
    );
    let b = problem(
        post("{\"name\": 42}", "application/json").await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("name"), "{b}");
    let b = problem(
        post("{}", "application/json").await.unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert!(b["detail"].as_str().unwrap().contains("name"), "{b}");
    problem(
        post("{\"name\": \"x\"}", "text/plain").await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn hostile_strings_never_cause_a_500() {
    let s = TestServer::start().await;
    for name in [
        "\u{0000}",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "😀😀😀",
        "\u{202e}abc",
        " ",
    ] {
        let r = s
            .admin(reqwest::Method::POST, "/v1/admin/tenants")
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 500, "{name:?} gave {}", r.status());
    }
    for path in [
        "/v1/numbers/%00",
        "/v1/numbers/%F0%9F%98%80",
        "/v1/numbers/'%20OR%201=1",
        "/v1/numbers/%FF%FE",
    ] {
        let r = s.get(path).send().await.unwrap();
        assert!(r.status().as_u16() < 500, "{path} gave {}", r.status());
    }
    let r = s
        .client
        .get(s.url("/v1/numbers/13800138000"))
        .header("authorization", "Bearer \u{00e9}")
        .send()
        .await;
    if let Ok(r) = r {
        assert!(r.status().as_u16() < 500);
    }
    let _ = ADMIN;
    s.stop().await;
}
