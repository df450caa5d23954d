//! `POST /v1/identity/match` against the sandbox.

use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};

const ID: &str = "11010519491231002X";

pub async fn set_subscriber(s: &TestServer, number: &str, body: Value) {
    let resp = s
        .client
        .put(s.url(&format!("/v1/sandbox/subscribers/{number}")))
        .bearer_auth(&s.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

async fn check(s: &TestServer, body: Value) -> Value {
    let (st, b) = json(s.post("/v1/identity/match", &body).send().await.unwrap()).await;
    assert_eq!(st, 200, "{b}");
    b
}

#[tokio::test]
async fn two_and_three_factor_checks_match_mismatch_and_not_found() {
    let s = TestServer::start().await;
    set_subscriber(&s, "13800138000", json!({"name": "张三", "id_number": ID})).await;
    let b = check(&s, json!({"phone": "13800138000", "name": "张三"})).await;
    assert_eq!(b["result"], "match");
    assert_eq!(b["checks"], json!({"name": "match"}));
    assert_eq!(
        (b["carrier"].as_str(), b["supplier"].as_str()),
        (Some("cmcc"), Some("sandbox"))
    );
    assert!(!b["request_id"].as_str().unwrap().is_empty());
    let b = check(&s, json!({"phone": "+8613800138000", "name": "李四"})).await;
    assert_eq!(
        (b["result"].as_str(), b["checks"]["name"].as_str()),
        (Some("mismatch"), Some("mismatch"))
    );
    let b = check(
        &s,
        json!({"phone": "13800138000", "name": "张三", "id_number": "11010519491231002x"}),
    )
    .await;
    assert_eq!(b["checks"], json!({"name": "match", "id_number": "match"}));
    let b = check(
        &s,
        json!({"phone": "13800138000", "name": "张三", "id_number": "440524188001010014"}),
    )
    .await;
    assert_eq!(b["result"], "mismatch");
    assert_eq!(
        b["checks"],
        json!({"name": "match", "id_number": "mismatch"})
    );
    let b = check(&s, json!({"phone": "13900139000", "name": "张三"})).await;
    assert_eq!(b["result"], "not_found");
    s.stop().await;
}

#[tokio::test]
async fn names_and_id_numbers_may_be_sent_hashed() {
    let s = TestServer::start().await;
    set_subscriber(&s, "13800138000", json!({"name": "张三", "id_number": ID})).await;
    let b = check(
        &s,
        json!({"phone": "13800138000", "name_md5": "615DB57AA314529AAA0FBE95B3E95BD3"}),
    )
    .await;
    assert_eq!(b["result"], "match");
    let sha = "c2f8f1de3e5b0ea9f3b6ad8f0d55f6ac8e3fc5b1e8a3d4c1b2a39485766d5e4f";
    let b = check(&s, json!({"phone": "13800138000", "name_md5": "615db57aa314529aaa0fbe95b3e95bd3", "id_number_sha256": sha})).await;
    assert_eq!(b["checks"]["id_number"], "mismatch");
    let right = "426695a0efdb59b9eaedaf0b5ca3eddf013cc2a7f9e283437704ea605f421e6d";
    let b = check(
        &s,
        json!({"phone": "13800138000", "name": "张三", "id_number_sha256": right}),
    )
    .await;
    assert_eq!(b["checks"], json!({"name": "match", "id_number": "match"}));
    s.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_supplier_call() {
    let s = TestServer::start().await;
    for (body, field) in [
        (json!({"phone": "13800138000"}), "name"),
        (json!({"phone": "13800138000", "name": "张"}), "name"),
        (
            json!({"phone": "13800138000", "name": "Robert'); DROP TABLE"}),
            "name",
        ),
        (
            json!({"phone": "13800138000", "name": "张三", "id_number": "110105194912310021"}),
            "id_number",
        ),
        (
            json!({"phone": "13800138000", "name": "张三", "id_number": "1101051949"}),
            "id_number",
        ),
        (
            json!({"phone": "13800138000", "name": "张三", "name_md5": "615db57aa314529aaa0fbe95b3e95bd3"}),
            "name",
        ),
        (
            json!({"phone": "13800138000", "name_md5": "xyz"}),
            "name_md5",
        ),
    ] {
        let b = problem(
            s.post("/v1/identity/match", &body).send().await.unwrap(),
            422,
            "invalid_request",
        )
        .await;
        assert_eq!(b["field"], field, "{body}");
    }
    problem(
        s.post(
            "/v1/identity/match",
            &json!({"phone": "12", "name": "张三"}),
        )
        .send()
        .await
        .unwrap(),
        422,
        "invalid_number",
    )
    .await;
    let b = problem(
        s.post(
            "/v1/identity/match",
            &json!({"phone": "+14155552671", "name": "John Smith"}),
        )
        .send()
        .await
        .unwrap(),
        422,
        "invalid_number",
    )
    .await;
    assert_eq!(b["reason"], "unsupported_number");
    let (_, stats) = json(
        s.admin(reqwest::Method::GET, "/v1/admin/stats")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        stats["suppliers"],
        json!([]),
        "no supplier was called: {stats}"
    );
    s.stop().await;
}
