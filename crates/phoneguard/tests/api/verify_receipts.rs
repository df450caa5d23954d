//! Delivery receipts in a vendor's own scheme, through HTTP, for messages sent
//! through local fakes of the vendors' send APIs: Twilio's status callback
//! (form body, `X-Twilio-Signature`), Aliyun's SmsReport push and Tencent
//! Cloud's status callback (JSON batches, unsigned, so the URL carries the
//! supplier's receipt secret as `token`).

use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::json;

use crate::harness::{TestServer, json, problem, test_config};
use crate::suppliers::{MASTER, admin_json};

const TOKEN: &str = "twilio-auth-token-5f1c";
const SID: &str = "SM5f1c0000000000000000000000000001";

/// A fake of Twilio's REST API: answers every request with a queued message
/// `SID` and keeps the requests it got.
pub async fn fake_twilio() -> (String, Arc<Mutex<Vec<String>>>) {
    fake_vendor(
        "201 Created",
        json!({"sid": SID, "status": "queued"}).to_string(),
    )
    .await
}

/// A fake vendor API that answers every request with `status` and the JSON
/// `body`, and keeps the requests it got.
async fn fake_vendor(status: &'static str, body: String) -> (String, Arc<Mutex<Vec<String>>>) {
    crate::vendor_fake::fake_http(move |_| crate::vendor_fake::response(status, &[], &body)).await
}

/// A server whose only SMS supplier is `twilio-a` on the fake, and a live key
/// (test keys only reach sandbox suppliers).
pub async fn server_on_twilio(base_url: &str) -> (TestServer, String) {
    server_with_supplier(json!({
        "id": "twilio-a", "kind": "twilio", "capabilities": ["sms"], "weight": 10,
        "options": {"base_url": base_url, "from": "+15005550006"},
        "credentials": {"account_sid": "AC5f1c", "auth_token": TOKEN}
    }))
    .await
}

/// A server whose only SMS supplier is `supplier` (admin JSON), and a live key.
async fn server_with_supplier(supplier: serde_json::Value) -> (TestServer, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = test_config(&dir.path().join("pg.db"));
    c.master_key = Some(MASTER.into());
    c.verify.resend_cooldown_s = 0;
    c.suppliers.seed.retain(|s| {
        !s.capabilities
            .contains(&phoneguard_core::suppliers::Capability::Sms)
    });
    let s = TestServer::start_with(c, dir).await;
    let (st, b) = admin_json(&s, Method::POST, "/v1/admin/suppliers", Some(supplier)).await;
    assert_eq!(st, 201, "{b}");
    let tenant = crate::limits::default_tenant(&s).await;
    let (_, k) = admin_json(
        &s,
        Method::POST,
        &format!("/v1/admin/tenants/{tenant}/keys"),
        Some(json!({"mode": "live"})),
    )
    .await;
    (s, k["key"].as_str().unwrap().to_string())
}

async fn twilio_callback(
    s: &TestServer,
    form: &[(&str, &str)],
    signature: &str,
) -> reqwest::Response {
    // Form encoding of these values: only `+` needs escaping.
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
        .collect::<Vec<_>>()
        .join("&");
    s.client
        .post(s.url("/v1/receipts/twilio/twilio-a"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_twilio_status_callback_is_verified_by_its_signature_and_marks_the_attempt() {
    let (base, seen) = fake_twilio().await;
    let (s, live) = server_on_twilio(&base).await;
    let start = |body: serde_json::Value| {
        s.client
            .post(s.url("/v1/verifications"))
            .bearer_auth(&live)
            .json(&body)
            .send()
    };
    let (st, v) = json(
        start(json!({"phone": "+8613900139000", "channel": "sms", "purpose": "login"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["attempts"][0]["supplier"], "twilio-a");
    let id = v["id"].as_str().unwrap().to_string();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(
            seen[0].starts_with("POST /2010-04-01/Accounts/AC5f1c/Messages.json"),
            "{}",
            seen[0]
        );
    }

    let form = [
        ("AccountSid", "AC5f1c"),
        ("MessageSid", SID),
        ("MessageStatus", "undelivered"),
        ("To", "+8613900139000"),
    ];
    let params: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = s.url("/v1/receipts/twilio/twilio-a");
    let good = phoneguard_suppliers::messaging::twilio_signature(TOKEN, &url, &params);
    let forged = phoneguard_suppliers::messaging::twilio_signature("not-the-token", &url, &params);
    problem(
        twilio_callback(&s, &form, &forged).await,
        401,
        "unauthorized",
    )
    .await;
    // A signature of other parameters does not verify either.
    let mut tampered = form;
    tampered[2] = ("MessageStatus", "delivered");
    problem(
        twilio_callback(&s, &tampered, &good).await,
        401,
        "unauthorized",
    )
    .await;
    let (_, g) = json(
        s.client
            .get(s.url(&format!("/v1/verifications/{id}")))
            .bearer_auth(&live)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        g["attempts"][0]["delivery"], "sent",
        "refused receipts change nothing: {g}"
    );

    let ok = twilio_callback(&s, &form, &good).await;
    assert_eq!(ok.status().as_u16(), 200);
    let (_, g) = json(
        s.client
            .get(s.url(&format!("/v1/verifications/{id}")))
            .bearer_auth(&live)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(g["attempts"][0]["delivery"], "failed", "{g}");
    // A receipt of the wrong kind for this supplier is not taken.
    let r = s
        .client
        .post(s.url("/v1/receipts/sandbox/twilio-a"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "{:?}", r.text().await);
    s.stop().await;
}

/// Starts an SMS verification with `key`; its id and first attempt's supplier.
async fn start_sms(s: &TestServer, key: &str) -> (String, String) {
    let (st, v) = json(
        s.client
            .post(s.url("/v1/verifications"))
            .bearer_auth(key)
            .json(&json!({"phone": "+8613900139000", "channel": "sms", "purpose": "login"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    (
        v["id"].as_str().unwrap().to_string(),
        v["attempts"][0]["supplier"].as_str().unwrap().to_string(),
    )
}

/// The delivery of a verification's first attempt.
async fn first_delivery(s: &TestServer, key: &str, id: &str) -> serde_json::Value {
    let (_, g) = json(
        s.client
            .get(s.url(&format!("/v1/verifications/{id}")))
            .bearer_auth(key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    g["attempts"][0]["delivery"].clone()
}

/// The receipt secret of `supplier`, from the admin endpoint.
async fn receipt_secret(s: &TestServer, supplier: &str) -> String {
    let (st, b) = admin_json(
        s,
        Method::GET,
        &format!("/v1/admin/receipts/{supplier}/secret"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{b}");
    b["secret"].as_str().unwrap().to_string()
}

/// POSTs a vendor's JSON push to `path` (with its query).
async fn push(s: &TestServer, path: &str, body: &serde_json::Value) -> reqwest::Response {
    s.client
        .post(s.url(path))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

const BIZ_ID: &str = "900619746936498440^0";

#[tokio::test]
async fn an_aliyun_sms_report_push_is_taken_with_the_url_token_and_acked_in_aliyuns_words() {
    let (base, seen) = fake_vendor(
        "200 OK",
        json!({"Code": "OK", "Message": "OK", "BizId": BIZ_ID, "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"})
            .to_string(),
    )
    .await;
    let (s, live) = server_with_supplier(json!({
        "id": "ali-a", "kind": "aliyun_sms", "capabilities": ["sms"], "weight": 10,
        "options": {"endpoint": format!("{base}/"), "sign_name": "阿里云短信测试", "template_code": "SMS_154950909"},
        "credentials": {"access_key_id": "testId", "access_key_secret": "testSecret"}
    }))
    .await;
    let (id, supplier) = start_sms(&s, &live).await;
    assert_eq!(supplier, "ali-a");
    assert!(
        seen.lock().unwrap()[0].contains("Action=SendSms"),
        "the fake got a SendSms call"
    );
    let secret = receipt_secret(&s, "ali-a").await;
    let (_, b) = admin_json(&s, Method::GET, "/v1/admin/receipts/ali-a/secret", None).await;
    assert_eq!(
        b["push_path"],
        format!("/v1/receipts/aliyun_sms/ali-a?token={secret}"),
        "the URL to give Aliyun's console"
    );
    let report = |biz_id: &str, success: serde_json::Value| {
        json!({
            "phone_number": "13900139000", "send_time": "2026-12-04 10:00:00",
            "report_time": "2026-12-04 10:00:03", "success": success,
            "err_code": "MK:0001", "err_msg": "用户接收失败", "sms_size": "1",
            "biz_id": biz_id, "out_id": id
        })
    };
    let batch = json!([report(BIZ_ID, json!(false)), report("11^0", json!(true))]);
    let path = "/v1/receipts/aliyun_sms/ali-a";

    // No token, a wrong token: refused, nothing changes.
    problem(push(&s, path, &batch).await, 401, "unauthorized").await;
    problem(
        push(
            &s,
            &format!("{path}?token={}", crate::verify_support::wrong(&secret)),
            &batch,
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    // One malformed receipt refuses the whole push, naming its place.
    let mut broken = batch.clone();
    broken[1].as_object_mut().unwrap().remove("biz_id");
    let b = problem(
        push(&s, &format!("{path}?token={secret}"), &broken).await,
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(b["field"], "[1].biz_id", "{b}");
    let mut bad_status = batch.clone();
    bad_status[0]["success"] = json!("maybe");
    let b = problem(
        push(&s, &format!("{path}?token={secret}"), &bad_status).await,
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(b["field"], "[0].success", "{b}");
    problem(
        push(
            &s,
            &format!("{path}?token={secret}"),
            &json!({"biz_id": BIZ_ID}),
        )
        .await,
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(first_delivery(&s, &live, &id).await, "sent");

    // The real push: our message failed, the other is not ours; acked as Aliyun wants.
    let r = push(&s, &format!("{path}?token={secret}"), &batch).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!({"code": 0, "msg": "成功"})
    );
    assert_eq!(first_delivery(&s, &live, &id).await, "failed");
    s.stop().await;
}

#[tokio::test]
async fn a_tencent_sms_status_callback_is_taken_with_the_url_token_and_acked_in_tencents_words() {
    let serial = "2640:538191447116907240615451820";
    let (base, _) = fake_vendor(
        "200 OK",
        json!({"Response": {"SendStatusSet": [{
            "SerialNo": serial, "PhoneNumber": "+8613900139000", "Fee": 1,
            "SessionContext": "", "Code": "Ok", "Message": "send success", "IsoCode": "CN"
        }], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}})
        .to_string(),
    )
    .await;
    let (s, live) = server_with_supplier(json!({
        "id": "tc-a", "kind": "tencent_sms", "capabilities": ["sms"], "weight": 10,
        "options": {"endpoint": base, "sms_sdk_app_id": "1400006666", "sign_name": "腾讯云", "template_id": "449739"},
        "credentials": {"secret_id": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "secret_key": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"}
    }))
    .await;
    let (id, supplier) = start_sms(&s, &live).await;
    assert_eq!(supplier, "tc-a");
    let secret = receipt_secret(&s, "tc-a").await;
    let path = format!("/v1/receipts/tencent_sms/tc-a?token={secret}");
    let callback = |status: &str| {
        json!([{
            "user_receive_time": "2026-12-04 10:00:03", "nationcode": "86",
            "mobile": "13900139000", "report_status": status, "errmsg": "DELIVRD",
            "description": "用户短信送达成功", "sid": serial
        }])
    };
    problem(
        push(
            &s,
            "/v1/receipts/tencent_sms/tc-a?token=",
            &callback("SUCCESS"),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    // Another supplier's secret is not this one's.
    let (st, b) = admin_json(
        &s,
        Method::POST,
        "/v1/admin/suppliers",
        Some(json!({"id": "other-sms", "kind": "sandbox", "capabilities": ["sms"], "enabled": false})),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    let other = receipt_secret(&s, "other-sms").await;
    problem(
        push(
            &s,
            &format!("/v1/receipts/tencent_sms/tc-a?token={other}"),
            &callback("SUCCESS"),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    let b = problem(
        push(&s, &path, &callback("DELIVERED")).await,
        422,
        "invalid_request",
    )
    .await;
    assert_eq!(b["field"], "[0].report_status", "{b}");
    assert_eq!(first_delivery(&s, &live, &id).await, "sent");

    let r = push(&s, &path, &callback("SUCCESS")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!({"result": 0, "errmsg": "OK"})
    );
    assert_eq!(first_delivery(&s, &live, &id).await, "delivered");
    s.stop().await;
}

#[tokio::test]
async fn the_receipt_secret_of_an_unknown_supplier_is_not_found() {
    let s = TestServer::start().await;
    let r = s
        .admin(Method::GET, "/v1/admin/receipts/no-such-supplier/secret")
        .send()
        .await
        .unwrap();
    let p = problem(r, 404, "not_found").await;
    assert!(
        p["detail"].as_str().unwrap().contains("no-such-supplier"),
        "{p}"
    );
    // A known one names its own kind in the URL to give the vendor.
    let (st, b) = admin_json(&s, Method::GET, "/v1/admin/receipts/sms-a/secret", None).await;
    assert_eq!(st, 200, "{b}");
    assert!(
        b["push_path"]
            .as_str()
            .unwrap()
            .starts_with("/v1/receipts/sandbox/sms-a?token="),
        "{b}"
    );
    s.stop().await;
}
