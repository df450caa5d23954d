//! Each vendor adapter against a local fake of its wire format (wiremock).

use phoneguard_core::verify::{Channel, MessageSender, Outbound};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::*;

fn msg(channel: Channel) -> Outbound {
    Outbound {
        tenant_id: "ten_x".into(),
        verification_id: "ver_x".into(),
        to: "+8613800138000".into(),
        channel,
        text: "Your code is 123456".into(),
        code: "123456".into(),
        ttl_min: 10,
        locale: "en".into(),
        caller: (channel == Channel::FlashCall).then(|| "+861012345601".into()),
    }
}

fn form(req: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&req.body).into_owned().collect()
}

#[tokio::test]
async fn aliyun_sms_posts_a_signed_rpc_form_and_reads_the_biz_id() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("Action=SendSms"))
        .and(body_string_contains("PhoneNumbers=13800138000"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"}),
            ),
        )
        .mount(&fake)
        .await;
    let s = AliyunSms::new(
        &json!({"endpoint": format!("{}/", fake.uri()), "sign_name": "阿里云", "template_code": "SMS_1"}),
        &json!({"access_key_id": "testId", "access_key_secret": "testSecret"}),
        reqwest::Client::new(),
    )
    .unwrap();
    let a = s.send(&msg(Channel::Sms)).await.unwrap();
    assert_eq!(a.message_ref.as_deref(), Some("900619746936498440^0"));
    let req = &fake.received_requests().await.unwrap()[0];
    let mut params: std::collections::BTreeMap<String, String> = form(req).into_iter().collect();
    assert_eq!(params["TemplateParam"], r#"{"code":"123456"}"#);
    let sig = params.remove("Signature").unwrap();
    assert_eq!(
        sig,
        aliyun_signature("testSecret", &aliyun_string_to_sign("POST", &params))
    );
}

#[tokio::test]
async fn aliyun_business_errors_are_failures() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}),
            ),
        )
        .mount(&fake)
        .await;
    let s = AliyunSms::new(
        &json!({"endpoint": fake.uri(), "sign_name": "x", "template_code": "SMS_1"}),
        &json!({"access_key_id": "a", "access_key_secret": "b"}),
        reqwest::Client::new(),
    )
    .unwrap();
    let e = s.send(&msg(Channel::Sms)).await.unwrap_err();
    assert_eq!(e.outcome(), "business");
}

#[tokio::test]
async fn tencent_sms_posts_json_with_a_tc3_authorization() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("X-TC-Action", "SendSms"))
        .and(header("X-TC-Version", "2021-01-11"))
        .and(header_exists("Authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Response": {
            "SendStatusSet": [{"SerialNo": "5000:1045710669157053657849499619", "Code": "Ok", "Message": "send success"}],
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}})))
        .mount(&fake)
        .await;
    let s = TencentSms::new(
        &json!({"endpoint": fake.uri(), "sms_sdk_app_id": "1400006666", "sign_name": "腾讯云", "template_id": "1110"}),
        &json!({"secret_id": "AKIDtest", "secret_key": "secret"}),
        reqwest::Client::new(),
    )
    .unwrap();
    let a = s.send(&msg(Channel::Sms)).await.unwrap();
    assert_eq!(
        a.message_ref.as_deref(),
        Some("5000:1045710669157053657849499619")
    );
    let req = &fake.received_requests().await.unwrap()[0];
    let body = String::from_utf8(req.body.clone()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["TemplateParamSet"], json!(["123456", "10"]));
    let ts: i64 = req.headers["x-tc-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let host = fake.uri().trim_start_matches("http://").to_string();
    assert_eq!(
        req.headers["authorization"].to_str().unwrap(),
        tc3_signature("AKIDtest", "secret", "sms", &host, ts, &body)
    );
}

#[tokio::test]
async fn tencent_errors_are_failures() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}}})))
        .mount(&fake)
        .await;
    let s = TencentSms::new(
        &json!({"endpoint": fake.uri(), "sms_sdk_app_id": "1", "sign_name": "x", "template_id": "1"}),
        &json!({"secret_id": "a", "secret_key": "b"}),
        reqwest::Client::new(),
    )
    .unwrap();
    assert_eq!(
        s.send(&msg(Channel::Sms)).await.unwrap_err().outcome(),
        "business"
    );
}

fn twilio(fake: &MockServer) -> Twilio {
    Twilio::new(
        &json!({"base_url": fake.uri(), "from": "+15005550006"}),
        &json!({"account_sid": "ACxxx", "auth_token": "tok"}),
        reqwest::Client::new(),
    )
    .unwrap()
}

#[tokio::test]
async fn twilio_sends_sms_by_messages_and_voice_and_flash_calls_by_calls() {
    let fake = MockServer::start().await;
    let basic = format!("Basic {}", super::encode::b64(b"ACxxx:tok"));
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/ACxxx/Messages.json"))
        .and(header("authorization", basic.as_str()))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"sid": "SM123", "status": "queued"})),
        )
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/ACxxx/Calls.json"))
        .and(header("authorization", basic.as_str()))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"sid": "CA123", "status": "queued"})),
        )
        .mount(&fake)
        .await;
    let t = twilio(&fake);
    assert_eq!(
        t.send(&msg(Channel::Sms))
            .await
            .unwrap()
            .message_ref
            .as_deref(),
        Some("SM123")
    );
    assert_eq!(
        t.send(&msg(Channel::Voice))
            .await
            .unwrap()
            .message_ref
            .as_deref(),
        Some("CA123")
    );
    assert_eq!(
        t.send(&msg(Channel::FlashCall))
            .await
            .unwrap()
            .message_ref
            .as_deref(),
        Some("CA123")
    );
    let reqs = fake.received_requests().await.unwrap();
    let sms = form(&reqs[0]);
    assert!(sms.contains(&("Body".into(), "Your code is 123456".into())));
    let voice = form(&reqs[1]);
    assert!(
        voice.iter().any(|(k, v)| k == "Twiml"
            && v.contains("<Say language=\"en-US\">Your code is 123456</Say>"))
    );
    let flash = form(&reqs[2]);
    assert!(flash.contains(&("From".into(), "+861012345601".into())));
    assert!(
        flash
            .iter()
            .any(|(k, v)| k == "Twiml" && v.contains("<Hangup/>"))
    );
}

#[tokio::test]
async fn twilio_errors_carry_the_vendor_code() {
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"code": 21211, "message": "Invalid 'To' Phone Number"})),
        )
        .mount(&fake)
        .await;
    match twilio(&fake).send(&msg(Channel::Sms)).await.unwrap_err() {
        phoneguard_core::suppliers::SupplierError::Business { code, .. } => {
            assert_eq!(code, "21211")
        }
        other => panic!("{other:?}"),
    }
}
