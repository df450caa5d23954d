use crate::harness::{TestServer, json};

#[tokio::test]
async fn healthz_and_readyz_answer_without_a_key() {
    let s = TestServer::start().await;
    let (st, body) = json(s.client.get(s.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((st, body["status"].as_str()), (200, Some("ok")));
    let (st, body) = json(s.client.get(s.url("/readyz")).send().await.unwrap()).await;
    assert_eq!((st, body["storage"].as_str()), (200, Some("ok")));
    s.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_given_one_is_kept() {
    let s = TestServer::start().await;
    let r = s.client.get(s.url("/healthz")).send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID is generated: {id}");
    let r = s
        .client
        .get(s.url("/healthz"))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-42");
    let r = s.client.get(s.url("/no/such/path")).send().await.unwrap();
    assert!(r.headers().contains_key("x-request-id"));
    s.stop().await;
}

#[tokio::test]
async fn a_request_id_that_could_forge_a_log_line_or_is_huge_is_replaced_by_a_new_one() {
    let s = TestServer::start().await;
    for bad in [
        "x level=ERROR msg=\"forged\"".to_string(),
        "i".repeat(30_000),
    ] {
        let r = s
            .client
            .get(s.url("/healthz"))
            .header("x-request-id", bad.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let id = r.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, bad);
        assert_eq!(id.len(), 36, "a new UUID instead of {bad:.40}: {id}");
    }
    s.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_never_by_number() {
    let s = TestServer::start().await;
    assert_eq!(
        s.get("/v1/numbers/13912345678")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let text = crate::harness::metrics_text(&s).await;
    assert!(text.contains(r#"phoneguard_http_requests_total{route="/v1/numbers/{number}",method="GET",status="200",tenant="ten_"#), "{text}");
    assert!(
        text.contains("phoneguard_http_request_duration_seconds_bucket"),
        "latency histogram present"
    );
    assert!(
        !text.contains("13912345678"),
        "no phone number in any label"
    );
    s.stop().await;
}
