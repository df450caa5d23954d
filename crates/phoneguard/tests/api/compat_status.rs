//! The seeds' wire formats: the line-status APPCODE API and the two-factor API.

use serde_json::json;

use crate::harness::{TestServer, json, problem};
use crate::identity::set_subscriber;

#[tokio::test]
async fn the_status_check_answers_in_the_seed_shape_byte_for_byte() {
    let s = TestServer::start().await;
    set_subscriber(&s, "13900139000", json!({"status": "suspended"})).await;
    for (mobile, result, msg) in [("13800138000", "1", "正常"), ("13900139000", "2", "停机")] {
        let resp = s
            .client
            .post(s.url("/api-mall/api/mobile_status/check"))
            .header("Authorization", format!("APPCODE {}", s.key))
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .body(format!("mobile={mobile}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let order_no = v["data"]["orderNo"].as_str().unwrap();
        assert_eq!(order_no.len(), 21, "{order_no}");
        assert!(order_no.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(
            text,
            format!(
                r#"{{"msg":"成功","success":true,"code":200,"data":{{"orderNo":"{order_no}","result":"{result}","province":"{}","city":"{}","channel":"移动","resultMsg":"{msg}"}}}}"#,
                v["data"]["province"].as_str().unwrap(),
                v["data"]["city"].as_str().unwrap()
            )
        );
    }
    let (_, v) = json(
        s.client
            .post(s.url("/api-mall/api/mobile_status/check"))
            .header("Authorization", format!("APPCODE {}", s.key))
            .body("mobile=13800138000")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (v["data"]["province"].as_str(), v["data"]["city"].as_str()),
        (Some("北京"), Some("北京"))
    );
    let (st, v) = json(
        s.client
            .post(s.url("/api-mall/api/mobile_status/check"))
            .header("Authorization", format!("APPCODE {}", s.key))
            .body("mobile=12")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, v["success"].as_bool(), v["code"].as_i64()),
        (200, Some(false), Some(400))
    );
    problem(
        s.client
            .post(s.url("/api-mall/api/mobile_status/check"))
            .header("Authorization", "APPCODE pk_test_nope")
            .body("mobile=13800138000")
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    problem(
        s.client
            .post(s.url("/api-mall/api/mobile_status/check"))
            .body("mobile=13800138000")
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
async fn the_two_factor_api_answers_with_the_seed_codes() {
    let s = TestServer::start().await;
    set_subscriber(&s, "13800138000", json!({"name": "张三"})).await;
    for (name, phone, code, message) in [
        ("张三", "13800138000", "FP00000", "SUCCESS"),
        ("李四", "13800138000", "FP03333", "认证信息不一致"),
        ("张三", "13900139000", "KYC1101", "信息不存在"),
    ] {
        let resp = s
            .client
            .post(s.url("/compat/two-factor"))
            .header("Authorization", format!("APPCODE {}", s.key))
            .json(&json!({"name": name, "phoneNumber": phone}))
            .send()
            .await
            .unwrap();
        let text = resp.text().await.unwrap();
        assert!(
            text.starts_with(&format!(
                r#"{{"code":"{code}","message":"{message}","idData":{{"#
            )),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["mobData"].is_object() && v["idData"].is_object());
        assert!(!text.contains(name), "the name is never echoed: {text}");
    }
    let b = problem(
        s.post(
            "/compat/two-factor",
            &json!({"name": "x", "phoneNumber": "13800138000"}),
        )
        .send()
        .await
        .unwrap(),
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(b["field"], "name");
    s.stop().await;
}
