//! Sandbox subscribers drive what sandbox suppliers answer.

use serde_json::json;

use crate::harness::{TestServer, json, problem};

#[tokio::test]
async fn numbers_never_set_answer_normal_24_plus_and_not_ported() {
    let s = TestServer::start().await;
    let (st, b) = json(
        s.get("/v1/numbers/13800138000?fields=location,status,tenure,portability")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["location"]["province"], "北京");
    assert_eq!(b["status"]["code"], "normal");
    assert_eq!(b["status"]["result"], "1");
    assert_eq!(b["status"]["carrier"], "cmcc");
    assert_eq!(b["status"]["ported"], false);
    assert_eq!(b["status"]["supplier"], "sandbox");
    assert!(b["status"]["checked_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        b["tenure"],
        json!({"bucket": "24+", "min_months": 24, "max_months": null, "supplier": "sandbox"})
    );
    assert_eq!(b["portability"]["ported"], false);
    assert_eq!(b["portability"]["original"], "cmcc");
    assert_eq!(b["portability"]["current"], "cmcc");
    assert_eq!(b["portability"]["source"], "supplier");
    s.stop().await;
}

#[tokio::test]
async fn a_subscriber_set_in_the_sandbox_is_what_suppliers_answer() {
    let s = TestServer::start().await;
    let (st, b) = json(
        s.client
            .put(s.url("/v1/sandbox/subscribers/+86%20138-0013-8000"))
            .bearer_auth(&s.key)
            .json(&json!({"status": "suspended", "name": "张三", "id_number": "11010519491231002X", "tenure_months": 8, "ported_to": "cucc"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["name"], "张*");
    assert_eq!(b["id_number"], "110**************X");
    let (_, b) = json(
        s.get("/v1/numbers/13800138000?fields=status,tenure,portability")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (b["status"]["code"].as_str(), b["status"]["result"].as_str()),
        (Some("suspended"), Some("2"))
    );
    assert_eq!(b["status"]["carrier"], "cucc");
    assert_eq!(b["status"]["ported"], true);
    assert_eq!(b["tenure"]["bucket"], "6-12");
    assert_eq!(
        b["portability"],
        json!({"ported": true, "original": "cmcc", "current": "cucc", "source": "supplier", "supplier": "sandbox"})
    );
    let (_, other) = json(
        s.get("/v1/numbers/13900139000?fields=status")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(other["status"]["code"], "normal", "other numbers unchanged");
    s.stop().await;
}

#[tokio::test]
async fn bad_sandbox_input_is_refused_naming_the_field() {
    let s = TestServer::start().await;
    for (body, field) in [
        (json!({"status": "sleeping"}), "status"),
        (json!({"name": "张3"}), "name"),
        (
            json!({"name": "张三", "id_number": "110105194912310021"}),
            "id_number",
        ),
        (json!({"id_number": "11010519491231002X"}), "name"),
        (json!({"ported_to": "att"}), "ported_to"),
    ] {
        let b = problem(
            s.client
                .put(s.url("/v1/sandbox/subscribers/13800138000"))
                .bearer_auth(&s.key)
                .json(&body)
                .send()
                .await
                .unwrap(),
            422,
            "invalid_request",
        )
        .await;
        assert_eq!(b["field"], field, "{body}");
    }
    problem(
        s.client
            .put(s.url("/v1/sandbox/subscribers/12"))
            .bearer_auth(&s.key)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
        422,
        "invalid_number",
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn a_batch_asks_suppliers_for_every_valid_number() {
    let s = TestServer::start().await;
    let (st, b) = json(
        s.post("/v1/numbers/batch", &json!({"numbers": ["13800138000", "12", "18912345678"], "fields": ["status", "tenure"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let r = b["results"].as_array().unwrap();
    assert_eq!(r[0]["status"]["code"], "normal");
    assert_eq!(r[1]["valid"], false);
    assert_eq!(r[2]["carrier"]["code"], "ctcc");
    assert_eq!(r[2]["tenure"]["bucket"], "24+");
    s.stop().await;
}
