//! The OpenAPI document: its schemes and codes, the served copy, the offline
//! docs page, and every documented operation routed (the committed copy is
//! checked by the server crate's unit tests).

use serde_json::Value;

use crate::harness::{TestServer, json};

#[test]
fn the_document_is_openapi_3_1_with_its_security_schemes_and_problem_codes() {
    let doc: Value = serde_json::from_str(&phoneguard_server::openapi::openapi_json()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert_eq!(schemes["admin_token"]["scheme"], "bearer");
    assert_eq!(schemes["appcode"]["in"], "header");
    assert_eq!(schemes["metrics_token"]["scheme"], "bearer");
    let metrics = doc["paths"]["/metrics"]["get"]["security"].to_string();
    assert!(metrics.contains("metrics_token") && metrics.contains("admin_token"));
    let codes = doc["components"]["schemas"]["ProblemCode"]["enum"]
        .as_array()
        .expect("ProblemCode is an enum");
    for code in [
        "invalid_request",
        "invalid_number",
        "unauthorized",
        "payload_too_large",
        "rate_limited",
        "quota_exceeded",
        "supplier_unavailable",
        "verification_expired",
    ] {
        assert!(codes.iter().any(|c| c == code), "{code} is documented");
    }
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"]["default"].is_object(),
                "{method} {path} has a default problem response"
            );
            let admin = path.starts_with("/v1/admin/");
            let security = op["security"].to_string();
            if admin {
                assert!(
                    security.contains("admin_token"),
                    "{method} {path}: {security}"
                );
                assert!(
                    op["responses"]["429"].is_object(),
                    "{method} {path}: failed admin tokens are throttled"
                );
            }
        }
    }
}

#[tokio::test]
async fn openapi_json_is_served_and_equals_the_generated_document() {
    let s = TestServer::start().await;
    let (status, served) = json(s.client.get(s.url("/openapi.json")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let generated: Value =
        serde_json::from_str(&phoneguard_server::openapi::openapi_json()).unwrap();
    assert_eq!(served, generated);
    s.stop().await;
}

#[tokio::test]
async fn the_docs_page_and_its_assets_are_served_from_the_binary() {
    let s = TestServer::start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client.get(s.url("/docs")).send().await.unwrap();
    assert_eq!(r.status(), 303, "/docs redirects to /docs/");
    let html = s
        .client
        .get(s.url("/docs/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page references nothing outside the server: {html}"
    );
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-initializer.js",
    ] {
        let r = s
            .client
            .get(s.url(&format!("/docs/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{asset}");
        let text = r.text().await.unwrap();
        assert!(text.len() > 100, "{asset} has content");
        if asset == "swagger-initializer.js" {
            assert!(text.contains("/openapi.json"), "{text}");
            assert!(text.contains(r#""validatorUrl": "none""#), "{text}");
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let s = TestServer::start().await;
    let doc = phoneguard_server::openapi::openapi();
    let doc: Value = serde_json::to_value(doc).unwrap();
    let mut n = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = s.client.request(m, s.url(&concrete)).send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is routed: {body}");
            assert!(
                !body.contains("see /docs for the API"),
                "{method} {path} is routed: {body}"
            );
            n += 1;
        }
    }
    assert!(n >= 40, "{n} operations documented");
    s.stop().await;
}
