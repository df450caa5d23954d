//! The zero-code `http` supplier configured for two real vendor shapes:
//! the two-factor seed's API (FP00000 / FP03333 / KYC1101) and Tencent Cloud
//! `MobileStatus` (TC3-HMAC-SHA256 request signing written in the template).

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use phoneguard_core::suppliers::*;
use phoneguard_suppliers::http::HttpSupplier;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fakes::{MemStore, context, query, subject};

fn two_factor_options(uri: &str) -> Value {
    json!({"identity": {
        "method": "POST", "url": format!("{uri}/api/two-factor"),
        "headers": {"Authorization": "APPCODE {{ credentials.appcode }}"},
        "json": {"name": "{{ name }}", "phoneNumber": "{{ phone }}"},
        "response": {
            "result": {"pointer": "/code", "map": {"FP00000": "match", "FP03333": "mismatch", "KYC1101": "not_found"}},
            "error_code": "/code", "error_message": "/message"
        }
    }})
}

fn identity(name: &str) -> Query {
    Query {
        capability: Capability::Identity,
        subject: subject("13800138000"),
        identity: Some(IdentityQuery {
            name: Personal::clear(name),
            id_number: None,
        }),
        carrier: None,
    }
}

#[tokio::test]
async fn the_two_factor_seed_vendor_works_by_config_alone() {
    let server = MockServer::start().await;
    for (name, code, message) in [
        ("张三", "FP00000", "SUCCESS"),
        ("李四", "FP03333", "认证信息不一致"),
        ("王五", "KYC1101", "信息不存在"),
    ] {
        Mock::given(method("POST"))
            .and(path("/api/two-factor"))
            .and(header("authorization", "APPCODE abc123"))
            .and(body_json(
                json!({"name": name, "phoneNumber": "13800138000"}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"code": code, "message": message, "idData": {}, "mobData": {}}),
            ))
            .mount(&server)
            .await;
    }
    let s = HttpSupplier::new(
        &two_factor_options(&server.uri()),
        json!({"appcode": "abc123"}),
        &context(Arc::new(MemStore::default())),
    )
    .unwrap();
    let result = |a: Answer| match a {
        Answer::Identity(i) => i.result,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        result(s.call(&identity("张三")).await.unwrap()),
        MatchResult::Match
    );
    assert_eq!(
        result(s.call(&identity("李四")).await.unwrap()),
        MatchResult::Mismatch
    );
    assert_eq!(
        result(s.call(&identity("王五")).await.unwrap()),
        MatchResult::NotFound
    );
}

#[tokio::test]
async fn unknown_vendor_codes_fail_and_hashed_names_skip_a_clear_name_template() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": "FP99999", "message": "系统繁忙"})),
        )
        .mount(&server)
        .await;
    let s = HttpSupplier::new(
        &two_factor_options(&server.uri()),
        json!({"appcode": "x"}),
        &context(Arc::new(MemStore::default())),
    )
    .unwrap();
    let e = s.call(&identity("张三")).await.unwrap_err();
    assert_eq!(
        e,
        SupplierError::Business {
            code: "FP99999".into(),
            message: "系统繁忙".into()
        }
    );
    let mut hashed = identity("张三");
    hashed.identity.as_mut().unwrap().name =
        Personal::from_md5("615db57aa314529aaa0fbe95b3e95bd3").unwrap();
    assert_eq!(s.call(&hashed).await.unwrap_err().outcome(), "unsupported");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "no call without the clear name"
    );
}

#[tokio::test]
async fn bad_mappings_and_templates_are_refused_naming_the_option() {
    let ctx = context(Arc::new(MemStore::default()));
    let mut o = two_factor_options("http://x");
    o["identity"]["response"]["result"]["map"]["FP00000"] = json!("yes");
    assert_eq!(
        HttpSupplier::new(&o, json!({}), &ctx).err().unwrap().field,
        "options.identity.response.result.map"
    );
    let mut o = two_factor_options("http://x");
    o["identity"]["headers"]["X"] = json!("{{ unclosed");
    assert_eq!(
        HttpSupplier::new(&o, json!({}), &ctx).err().unwrap().field,
        "options.identity"
    );
    assert_eq!(
        HttpSupplier::new(&json!({"sms": {}}), json!({}), &ctx)
            .err()
            .unwrap()
            .field,
        "options.sms"
    );
}

const TC3_AUTH: &str = r#"{%- set host = credentials.host -%}
{%- set canonical = "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:" ~ host ~ "\n\ncontent-type;host\n" ~ (body | sha256) -%}
{%- set sts = "TC3-HMAC-SHA256\n" ~ timestamp ~ "\n" ~ date ~ "/faceid/tc3_request\n" ~ (canonical | sha256) -%}
{%- set k_date = date | hmac_sha256("TC3" ~ credentials.secret_key) -%}
{%- set k_service = "faceid" | hmac_sha256_hexkey(k_date) -%}
{%- set k_signing = "tc3_request" | hmac_sha256_hexkey(k_service) -%}
TC3-HMAC-SHA256 Credential={{ credentials.secret_id }}/{{ date }}/faceid/tc3_request, SignedHeaders=content-type;host, Signature={{ sts | hmac_sha256_hexkey(k_signing) }}"#;

fn hmac(key: &[u8], msg: &str) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(msg.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// Checks the signature as Tencent Cloud documents TC3-HMAC-SHA256, then answers.
struct Tencent {
    secret_key: &'static str,
    status_code: i64,
}

impl Respond for Tencent {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let h = |k: &str| {
            r.headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let (ts, host) = (h("x-tc-timestamp"), h("host"));
        let date = chrono::DateTime::from_timestamp(ts.parse().unwrap_or(0), 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string();
        let canonical = format!(
            "POST\n/\n\ncontent-type:{}\nhost:{host}\n\ncontent-type;host\n{}",
            h("content-type"),
            hex::encode(Sha256::digest(&r.body))
        );
        let sts = format!(
            "TC3-HMAC-SHA256\n{ts}\n{date}/faceid/tc3_request\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let k = hmac(
            &hmac(
                &hmac(format!("TC3{}", self.secret_key).as_bytes(), &date),
                "faceid",
            ),
            "tc3_request",
        );
        let want = format!(
            "TC3-HMAC-SHA256 Credential=AKIDtest/{date}/faceid/tc3_request, SignedHeaders=content-type;host, Signature={}",
            hex::encode(hmac(&k, &sts))
        );
        if h("authorization") != want || h("x-tc-action") != "MobileStatus" {
            return ResponseTemplate::new(200).set_body_json(json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure"}, "RequestId": "x"}}));
        }
        ResponseTemplate::new(200).set_body_json(json!({"Response": {"Result": "0", "Description": "成功", "StatusCode": self.status_code, "RequestId": "f893bfcf"}}))
    }
}

fn tencent_options(uri: &str) -> Value {
    json!({"status": {
        "method": "POST", "url": format!("{uri}/"),
        "headers": {"Authorization": TC3_AUTH, "X-TC-Action": "MobileStatus", "X-TC-Version": "2018-03-01", "X-TC-Timestamp": "{{ timestamp }}"},
        "json": {"Mobile": "{{ phone }}"},
        "response": {
            "success": {"pointer": "/Response/Result", "equals": ["0"]},
            "error_code": "/Response/Result", "error_message": "/Response/Description",
            "result": {"pointer": "/Response/StatusCode", "map": {"0": "normal", "1": "suspended", "2": "cancelled", "4": "cancelled", "99": "error"}}
        }
    }})
}

#[tokio::test]
async fn tencent_mobile_status_with_tc3_signing_works_by_config_alone() {
    let server = MockServer::start().await;
    let host = server.address().to_string();
    let creds =
        json!({"secret_id": "AKIDtest", "secret_key": "Gu5t9xGARNpq86cd98joQYCN3", "host": host});
    let ctx = context(Arc::new(MemStore::default()));
    for (code, want) in [
        (0, Some(LineStatus::Normal)),
        (1, Some(LineStatus::Suspended)),
        (2, Some(LineStatus::Cancelled)),
        (99, None),
    ] {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(Tencent {
                secret_key: "Gu5t9xGARNpq86cd98joQYCN3",
                status_code: code,
            })
            .mount(&server)
            .await;
        let s = HttpSupplier::new(&tencent_options(&server.uri()), creds.clone(), &ctx).unwrap();
        match (s.call(&query(Capability::Status)).await, want) {
            (Ok(Answer::Status(a)), Some(w)) => assert_eq!(a.status, w),
            (Err(e), None) => assert_eq!(e.outcome(), "business"),
            (other, w) => panic!("StatusCode {code}: {other:?}, wanted {w:?}"),
        }
    }
    let mut wrong = creds.clone();
    wrong["secret_key"] = json!("not-the-key");
    let s = HttpSupplier::new(&tencent_options(&server.uri()), wrong, &ctx).unwrap();
    assert_eq!(
        s.call(&query(Capability::Status))
            .await
            .unwrap_err()
            .outcome(),
        "business",
        "a bad signature is refused"
    );
}

fn keyed_identity_options(url: &str) -> Value {
    json!({"identity": {
        "method": "POST", "url": url,
        "headers": {"X-Api-Key": "{{ credentials.api_key }}"},
        "json": {"name": "{{ name }}", "phoneNumber": "{{ phone }}"},
        "response": {"result": {"pointer": "/code", "map": {"FP00000": "match"}}}
    }})
}

/// A redirect to another origin (here another port) would re-send the custom
/// credential header and the body there: it is not followed.
#[tokio::test]
async fn a_redirect_to_another_origin_is_a_supplier_error_and_sends_nothing_there() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": "FP00000"})))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let vendor = MockServer::start().await;
    for status in [301, 302, 303, 307, 308] {
        Mock::given(method("POST"))
            .and(path(format!("/{status}")))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("location", format!("{}/collect", elsewhere.uri())),
            )
            .expect(1)
            .mount(&vendor)
            .await;
        let s = HttpSupplier::new(
            &keyed_identity_options(&format!("{}/{status}", vendor.uri())),
            json!({"api_key": "secret-4b1e"}),
            &context(Arc::new(MemStore::default())),
        )
        .unwrap();
        let e = s.call(&identity("张三")).await.unwrap_err();
        assert!(matches!(e, SupplierError::Transport(_)), "{status}: {e:?}");
    }
    // `expect(0)` and `expect(1)` are checked as the servers drop.
}

/// Redirects within the vendor's own origin are still followed.
#[tokio::test]
async fn a_redirect_within_the_same_origin_is_followed() {
    let vendor = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/old"))
        .respond_with(
            ResponseTemplate::new(308).insert_header("location", format!("{}/new", vendor.uri())),
        )
        .mount(&vendor)
        .await;
    Mock::given(method("POST"))
        .and(path("/new"))
        .and(header("x-api-key", "secret-4b1e"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": "FP00000"})))
        .expect(1)
        .mount(&vendor)
        .await;
    let s = HttpSupplier::new(
        &keyed_identity_options(&format!("{}/old", vendor.uri())),
        json!({"api_key": "secret-4b1e"}),
        &context(Arc::new(MemStore::default())),
    )
    .unwrap();
    match s.call(&identity("张三")).await.unwrap() {
        Answer::Identity(i) => assert_eq!(i.result, MatchResult::Match),
        other => panic!("{other:?}"),
    }
}
