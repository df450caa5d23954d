//! `carrier_auth` adapters against local fakes: `aliyun_dypns` against a fake
//! speaking Dypnsapi's wire format (which checks our ACS3 signature as Aliyun
//! does), and the zero-code `http` kind with a GeYan-shaped mapping.

use std::sync::Arc;

use phoneguard_core::suppliers::*;
use phoneguard_suppliers::aliyun_dypns::AliyunDypns;
use phoneguard_suppliers::aliyun_sign::{
    Acs3Request, acs3_sign, decode_pairs, parse_acs3_authorization, sha256_hex,
};
use phoneguard_suppliers::http::HttpSupplier;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::fakes::{MemStore, context, subject};

const SECRET: &str = "fake-secret-0123456789";

fn carrier_query(token: &str, verify: bool) -> Query {
    Query {
        capability: Capability::CarrierAuth,
        subject: if verify {
            subject("13800138000")
        } else {
            Subject {
                tenant_id: "ten_test".into(),
                e164: String::new(),
                national: String::new(),
                carrier: None,
            }
        },
        identity: None,
        carrier: Some(CarrierQuery {
            token: CarrierToken::parse(token).unwrap(),
            verify,
        }),
    }
}

/// Dypnsapi as Aliyun answers it, after checking the ACS3 signature.
struct Dypns;

impl Respond for Dypns {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
        let Some(auth) = parse_acs3_authorization(h("authorization")) else {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"Code": "IncompleteSignature"}));
        };
        let signed: Vec<(String, String)> = auth
            .signed_headers
            .iter()
            .map(|n| (n.clone(), h(n).to_string()))
            .collect();
        let query = decode_pairs(r.url.query().unwrap_or(""));
        let (expected, _) = acs3_sign(
            SECRET,
            &Acs3Request {
                method: r.method.as_str(),
                path: r.url.path(),
                query: &query,
                headers: &signed,
                payload_sha256: &sha256_hex(&r.body),
            },
        );
        let must_sign = [
            "host",
            "x-acs-action",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-version",
        ];
        if auth.access_key_id != "LTAIfake"
            || expected != auth.signature
            || !must_sign
                .iter()
                .all(|m| auth.signed_headers.iter().any(|s| s == m))
        {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation."}));
        }
        let p = |k: &str| {
            query
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let token = if h("x-acs-action") == "GetMobile" {
            p("AccessToken")
        } else {
            p("AccessCode")
        };
        let body: Value = match (h("x-acs-action"), token.as_str()) {
            (_, "spent") => json!({"Code": "isv.TOKEN_USED", "Message": "used", "RequestId": "R"}),
            (_, "busy") => {
                json!({"Code": "isp.SYSTEM_ERROR", "Message": "系统繁忙", "RequestId": "R"})
            }
            ("GetMobile", _) => json!({"Code": "OK", "Message": "OK", "RequestId": "R",
                "GetMobileResultDTO": {"Mobile": "13800138000"}}),
            ("VerifyMobile", _) => json!({"Code": "OK", "Message": "OK", "RequestId": "R",
                "GateVerifyResultDTO": {"VerifyId": "V", "VerifyResult":
                    if p("PhoneNumber") == "13800138000" && token == "good" { "PASS" } else { "REJECT" }}}),
            _ => json!({"Code": "InvalidAction.NotFound"}),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

#[tokio::test]
async fn aliyun_dypns_signs_as_aliyun_checks_and_reads_its_answers() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(Dypns)
        .mount(&server)
        .await;
    let ctx = context(Arc::new(MemStore::default()));
    let s = AliyunDypns::new(
        &json!({"base_url": server.uri()}),
        &json!({"access_key_id": "LTAIfake", "access_key_secret": SECRET}),
        &ctx,
    )
    .unwrap();
    let carrier = |a: Answer| match a {
        Answer::Carrier(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        carrier(s.call(&carrier_query("tok1+/=", false)).await.unwrap()),
        CarrierAnswer::Number {
            e164: "+8613800138000".into(),
            carrier: Some("cmcc".into())
        }
    );
    assert_eq!(
        carrier(s.call(&carrier_query("good", true)).await.unwrap()),
        CarrierAnswer::Verdict(CarrierVerdict::Pass)
    );
    assert_eq!(
        carrier(s.call(&carrier_query("other", true)).await.unwrap()),
        CarrierAnswer::Verdict(CarrierVerdict::Reject)
    );
    assert_eq!(
        carrier(s.call(&carrier_query("spent", false)).await.unwrap()),
        CarrierAnswer::Token(TokenProblem::Used)
    );
    assert_eq!(
        s.call(&carrier_query("busy", false))
            .await
            .unwrap_err()
            .outcome(),
        "business"
    );
    let wrong = AliyunDypns::new(
        &json!({"base_url": server.uri()}),
        &json!({"access_key_id": "LTAIfake", "access_key_secret": "wrong"}),
        &ctx,
    )
    .unwrap();
    assert_eq!(
        wrong.call(&carrier_query("good", false)).await.unwrap_err(),
        SupplierError::Business {
            code: "SignatureDoesNotMatch".into(),
            message: "Specified signature is not matched with our calculation.".into()
        }
    );
    // Bad configurations name the field, never the secret.
    for (creds, field) in [
        (
            json!({"access_key_id": "x"}),
            "credentials.access_key_secret",
        ),
        (
            json!({"access_key_secret": "x"}),
            "credentials.access_key_id",
        ),
        (
            json!({"access_key_id": "a b", "access_key_secret": "x"}),
            "credentials.access_key_id",
        ),
    ] {
        let e = AliyunDypns::new(&json!({}), &creds, &ctx).err().unwrap();
        assert_eq!(e.field, field);
    }
    assert_eq!(
        AliyunDypns::new(
            &json!({"base_url": "ftp://x"}),
            &json!({"access_key_id": "a", "access_key_secret": "b"}),
            &ctx
        )
        .err()
        .unwrap()
        .field,
        "options.base_url"
    );
}

/// The example of docs/suppliers.md: a GeYan-style `gy_get_pn` endpoint.
pub fn geyan_options(uri: &str) -> Value {
    json!({"carrier_auth": {
        "method": "POST", "url": format!("{uri}/gy_get_pn"),
        "json": {"appId": "{{ credentials.app_id }}", "token": "{{ token }}",
                 "timestamp": "{{ timestamp_ms }}",
                 "sign": "{{ (credentials.app_id ~ timestamp_ms ~ credentials.app_key) | sha256 }}"},
        "response": {
            "result": {"pointer": "/result", "map": {"20000": "ok", "30003": "token_invalid",
                                                     "30004": "token_expired", "30005": "token_used"}},
            "phone": "/data/pn",
            "error_code": "/result", "error_message": "/msg"
        }
    }})
}

#[tokio::test]
async fn the_http_kind_maps_a_carrier_vendor_without_code() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(|r: &Request| {
            let b: Value = serde_json::from_slice(&r.body).unwrap();
            let (result, pn) = match b["token"].as_str().unwrap() {
                "old" => (30004, None),
                "spent" => (30005, None),
                "down" => (50000, None),
                "theirs" => (20000, Some("13900139000")),
                _ => (20000, Some("13800138000")),
            };
            ResponseTemplate::new(200)
                .set_body_json(json!({"result": result, "msg": "m", "data": {"pn": pn}}))
        })
        .mount(&server)
        .await;
    let s = HttpSupplier::new(
        &geyan_options(&server.uri()),
        json!({"app_id": "gy-app", "app_key": "k"}),
        &context(Arc::new(MemStore::default())),
    )
    .unwrap();
    let carrier = |a: Answer| match a {
        Answer::Carrier(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        carrier(s.call(&carrier_query("good", false)).await.unwrap()),
        CarrierAnswer::Number {
            e164: "+8613800138000".into(),
            carrier: Some("cmcc".into())
        }
    );
    assert_eq!(
        carrier(s.call(&carrier_query("good", true)).await.unwrap()),
        CarrierAnswer::Verdict(CarrierVerdict::Pass)
    );
    assert_eq!(
        carrier(s.call(&carrier_query("theirs", true)).await.unwrap()),
        CarrierAnswer::Verdict(CarrierVerdict::Reject)
    );
    assert_eq!(
        carrier(s.call(&carrier_query("old", false)).await.unwrap()),
        CarrierAnswer::Token(TokenProblem::Expired)
    );
    assert_eq!(
        carrier(s.call(&carrier_query("spent", false)).await.unwrap()),
        CarrierAnswer::Token(TokenProblem::Used)
    );
    assert_eq!(
        s.call(&carrier_query("down", false))
            .await
            .unwrap_err()
            .outcome(),
        "business"
    );
    // A carrier_auth mapping needs the number's pointer and our codes only.
    let mut bad = geyan_options(&server.uri());
    bad["carrier_auth"]["response"]
        .as_object_mut()
        .unwrap()
        .remove("phone");
    let ctx = context(Arc::new(MemStore::default()));
    assert_eq!(
        HttpSupplier::new(&bad, json!({}), &ctx)
            .err()
            .unwrap()
            .field,
        "options.carrier_auth.response.phone"
    );
    let mut bad = geyan_options(&server.uri());
    bad["carrier_auth"]["response"]["result"]["map"]["1"] = json!("match");
    assert_eq!(
        HttpSupplier::new(&bad, json!({}), &ctx)
            .err()
            .unwrap()
            .field,
        "options.carrier_auth.response.result.map"
    );
}
