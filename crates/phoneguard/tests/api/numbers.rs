use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem};

#[tokio::test]
async fn a_number_in_any_common_form_gives_the_same_answer() {
    let s = TestServer::start().await;
    let mut answers = vec![];
    for form in [
        "13800138000",
        "+8613800138000",
        "008613800138000",
        "+86%20138-0013-8000",
        "(+86)%20138%200013%208000",
        "%EF%BC%91%EF%BC%93%EF%BC%98%EF%BC%90%EF%BC%90%EF%BC%91%EF%BC%93%EF%BC%98%EF%BC%90%EF%BC%90%EF%BC%90",
    ] {
        let (st, body) = json(s.get(&format!("/v1/numbers/{form}")).send().await.unwrap()).await;
        assert_eq!(st, 200, "{form}: {body}");
        answers.push(body);
    }
    let first = &answers[0];
    assert_eq!(first["number"], "+8613800138000");
    assert_eq!(first["national"], "13800138000");
    assert_eq!(first["country"], "CN");
    assert_eq!(first["valid"], true);
    assert_eq!(
        first["location"],
        json!({"province": "北京", "city": "北京", "area_code": "010", "zip": "100000"})
    );
    assert_eq!(
        first["carrier"],
        json!({"code": "cmcc", "name": "中国移动", "network": "mno", "segment": "138"})
    );
    assert!(answers.iter().all(|a| a == first), "{answers:?}");
    s.stop().await;
}

#[tokio::test]
async fn invalid_numbers_get_422_with_a_reason() {
    let s = TestServer::start().await;
    for (input, reason) in [
        ("1380013800", "too_short"),
        ("138001380001234567890", "too_long"),
        ("abc", "not_a_number"),
        ("-13800138000", "not_a_number"),
        ("+99912345678", "invalid_country_code"),
        ("10012345678", "unallocated_segment"),
    ] {
        let b = problem(
            s.get(&format!("/v1/numbers/{input}")).send().await.unwrap(),
            422,
            "invalid_number",
        )
        .await;
        assert_eq!(b["reason"], reason, "{input}: {b}");
    }
    s.stop().await;
}

#[tokio::test]
async fn international_and_special_segments_are_typed() {
    let s = TestServer::start().await;
    let (_, us) = json(s.get("/v1/numbers/+14155552671").send().await.unwrap()).await;
    assert_eq!(
        (us["country"].as_str(), us["valid"].as_bool()),
        (Some("US"), Some(true))
    );
    assert!(us["location"].is_null() && us["carrier"].is_null());
    let (_, mvno) = json(s.get("/v1/numbers/17012345678").send().await.unwrap()).await;
    assert_eq!(mvno["carrier"]["network"], "mvno", "{mvno}");
    assert_eq!(mvno["carrier"]["code"], "ctcc", "{mvno}");
    s.stop().await;
}

#[tokio::test]
async fn fields_are_checked_and_supplier_fields_come_from_the_sandbox() {
    let s = TestServer::start().await;
    assert_eq!(
        s.get("/v1/numbers/13800138000?fields=location")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let b = problem(
        s.get("/v1/numbers/13800138000?fields=location,colour")
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(b["field"], "fields");
    let (st, b) = json(
        s.get("/v1/numbers/13800138000?fields=status")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, b["status"]["supplier"].as_str()),
        (200, Some("sandbox"))
    );
    s.stop().await;
}

#[tokio::test]
async fn a_batch_answers_in_order_with_per_item_errors() {
    let s = TestServer::start().await;
    let (st, body) = json(
        s.post(
            "/v1/numbers/batch",
            &json!({"numbers": ["13800138000", "12", 42, "+33612345678"]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(st, 200);
    let r = body["results"].as_array().unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(r[0]["national"], "13800138000");
    assert_eq!(
        (r[1]["valid"].as_bool(), r[1]["error"].as_str()),
        (Some(false), Some("too_short"))
    );
    assert_eq!(r[1]["reason"], "too_short", "the name a single lookup uses");
    assert_eq!(
        (r[2]["valid"].as_bool(), r[2]["error"].as_str()),
        (Some(false), Some("invalid_type"))
    );
    assert_eq!(r[2]["reason"], "invalid_type");
    assert_eq!(r[3]["country"], "FR");
    s.stop().await;
}

#[tokio::test]
async fn a_batch_is_bounded_and_not_empty() {
    let s = TestServer::start().await;
    let many: Vec<Value> = (0..1001).map(|i| json!(format!("1380013{i:04}"))).collect();
    let b = problem(
        s.post("/v1/numbers/batch", &json!({ "numbers": many }))
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(b["field"], "numbers");
    let thousand: Vec<Value> = (0..1000).map(|i| json!(format!("1380013{i:04}"))).collect();
    let (st, body) = json(
        s.post("/v1/numbers/batch", &json!({ "numbers": thousand }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((st, body["results"].as_array().unwrap().len()), (200, 1000));
    problem(
        s.post("/v1/numbers/batch", &json!({"numbers": []}))
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    problem(
        s.post("/v1/numbers/batch", &json!({"numbers": "13800138000"}))
            .send()
            .await
            .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    s.stop().await;
}
