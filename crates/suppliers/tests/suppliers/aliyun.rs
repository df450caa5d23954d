//! `aliyun_market_status` against a wiremock fake of the seed-000 API.

use std::sync::Arc;

use phoneguard_core::suppliers::{Answer, Capability, LineStatus, Supplier, SupplierError};
use phoneguard_suppliers::aliyun::AliyunMarketStatus;
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fakes::{MemStore, context, query};

const APPCODE: &str = "83359fd73fe94948385f570e3c139105";

async fn adapter(server: &MockServer) -> AliyunMarketStatus {
    AliyunMarketStatus::new(
        &json!({"base_url": server.uri()}),
        &json!({"appcode": APPCODE}),
        &context(Arc::new(MemStore::default())),
    )
    .unwrap()
}

fn seed_answer(result: &str) -> serde_json::Value {
    json!({"msg": "成功", "success": true, "code": 200, "data": {"orderNo": "202406282055560705659",
        "result": result, "province": "北京", "city": "北京", "channel": "移动", "resultMsg": "正常"}})
}

#[tokio::test]
async fn the_seed_request_is_sent_and_every_result_code_is_mapped() {
    let server = MockServer::start().await;
    for (result, status) in [
        ("0", LineStatus::Cancelled),
        ("1", LineStatus::Normal),
        ("2", LineStatus::Suspended),
        ("3", LineStatus::Unavailable),
        ("4", LineStatus::PreCancelled),
        ("999", LineStatus::NotThisNetwork),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path("/api-mall/api/mobile_status/check"))
            .and(header(
                "authorization",
                format!("APPCODE {APPCODE}").as_str(),
            ))
            .and(header(
                "content-type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            ))
            .and(body_string("mobile=13800138000"))
            .respond_with(ResponseTemplate::new(200).set_body_json(seed_answer(result)))
            .expect(1)
            .mount(&server)
            .await;
        let a = adapter(&server)
            .await
            .call(&query(Capability::Status))
            .await
            .unwrap();
        let Answer::Status(s) = a else {
            panic!("{a:?}")
        };
        assert_eq!(s.status, status, "result {result}");
        assert_eq!(s.carrier.as_deref(), Some("cmcc"));
    }
}

#[tokio::test]
async fn http_and_business_errors_are_supplier_failures() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(403).insert_header("X-Ca-Error-Message", "Invalid AppCode"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let s = adapter(&server).await;
    assert_eq!(
        s.call(&query(Capability::Status)).await,
        Err(SupplierError::HttpStatus(403))
    );
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"msg": "余额不足", "success": false, "code": 400, "data": null}),
            ),
        )
        .mount(&server)
        .await;
    let e = s.call(&query(Capability::Status)).await.unwrap_err();
    assert_eq!(e.outcome(), "business", "{e}");
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(seed_answer("7")))
        .mount(&server)
        .await;
    assert_eq!(
        s.call(&query(Capability::Status))
            .await
            .unwrap_err()
            .outcome(),
        "bad_response"
    );
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
        .mount(&server)
        .await;
    assert_eq!(
        s.call(&query(Capability::Status))
            .await
            .unwrap_err()
            .outcome(),
        "bad_response"
    );
}

#[tokio::test]
async fn an_appcode_is_required_and_other_capabilities_are_refused() {
    let ctx = context(Arc::new(MemStore::default()));
    let e = AliyunMarketStatus::new(&json!({}), &json!({}), &ctx)
        .err()
        .unwrap();
    assert_eq!(e.field, "credentials.appcode");
    let s = AliyunMarketStatus::new(&json!({}), &json!({"appcode": "x"}), &ctx).unwrap();
    assert_eq!(
        s.call(&query(Capability::Identity))
            .await
            .unwrap_err()
            .outcome(),
        "unsupported"
    );
}
