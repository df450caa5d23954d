//! `aliyun_sms`: Alibaba Cloud SMS (Dysmsapi 2017-05-25) `SendSms`, signed
//! with the RPC signature: the parameters sorted by name and percent-encoded
//! (RFC 3986, upper-case hex, space `%20`, `*` `%2A`, `~` kept), joined with
//! `&`, then `StringToSign = METHOD & %2F & percentEncode(query)` and
//! `Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`.
//!
//! Options: `sign_name`, `template_code` (template with a `${code}` variable),
//! `endpoint` (default `https://dysmsapi.aliyuncs.com/`), `region_id`
//! (`cn-hangzhou`). Credentials: `access_key_id`, `access_key_secret`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::Utc;
use phoneguard_core::suppliers::SupplierError;
use phoneguard_core::verify::{Accepted, Channel, MessageSender, Outbound};
use serde_json::Value;

use super::encode::{b64, hmac_sha1, percent_encode, transport};
use super::{opt_str, required};
use crate::BuildError;

/// Aliyun SMS sender.
pub struct AliyunSms {
    http: reqwest::Client,
    endpoint: String,
    region_id: String,
    sign_name: String,
    template_code: String,
    key_id: String,
    key_secret: String,
}

/// The RPC string to sign of `method` (`GET`/`POST`) and the parameters (without `Signature`).
pub fn aliyun_string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&query.join("&"))
    )
}

/// `Base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn aliyun_signature(access_key_secret: &str, string_to_sign: &str) -> String {
    b64(&hmac_sha1(
        format!("{access_key_secret}&").as_bytes(),
        string_to_sign.as_bytes(),
    ))
}

impl AliyunSms {
    /// Builds the sender.
    pub fn new(options: &Value, creds: &Value, http: reqwest::Client) -> Result<Self, BuildError> {
        Ok(AliyunSms {
            http,
            endpoint: opt_str(options, "endpoint")
                .unwrap_or("https://dysmsapi.aliyuncs.com/")
                .to_string(),
            region_id: opt_str(options, "region_id")
                .unwrap_or("cn-hangzhou")
                .to_string(),
            sign_name: required(options, "options", "sign_name")?.to_string(),
            template_code: required(options, "options", "template_code")?.to_string(),
            key_id: required(creds, "credentials", "access_key_id")?.to_string(),
            key_secret: required(creds, "credentials", "access_key_secret")?.to_string(),
        })
    }

    /// The signed parameters of one message.
    pub fn params(&self, msg: &Outbound, nonce: &str, timestamp: &str) -> BTreeMap<String, String> {
        let phone = msg
            .to
            .strip_prefix("+86")
            .unwrap_or(&msg.to)
            .trim_start_matches('+');
        let mut p: BTreeMap<String, String> = [
            ("AccessKeyId", self.key_id.as_str()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("OutId", msg.verification_id.as_str()),
            ("PhoneNumbers", phone),
            ("RegionId", self.region_id.as_str()),
            ("SignName", self.sign_name.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", self.template_code.as_str()),
            ("Timestamp", timestamp),
            ("Version", "2017-05-25"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        p.insert(
            "TemplateParam".into(),
            serde_json::json!({ "code": msg.code }).to_string(),
        );
        let sig = aliyun_signature(&self.key_secret, &aliyun_string_to_sign("POST", &p));
        p.insert("Signature".into(), sig);
        p
    }
}

#[async_trait]
impl MessageSender for AliyunSms {
    async fn send(&self, msg: &Outbound) -> Result<Accepted, SupplierError> {
        if msg.channel != Channel::Sms {
            return Err(SupplierError::Unsupported(
                "aliyun_sms sends SMS only".into(),
            ));
        }
        let nonce = uuid::Uuid::new_v4().to_string();
        let ts = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let params = self.params(msg, &nonce, &ts);
        let resp = self
            .http
            .post(&self.endpoint)
            .form(&params)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .map_err(|e| SupplierError::BadResponse(e.to_string()))?;
        let code = body.get("Code").and_then(Value::as_str).unwrap_or_default();
        if code != "OK" {
            return Err(SupplierError::Business {
                code: if code.is_empty() {
                    status.as_u16().to_string()
                } else {
                    code.to_string()
                },
                message: body
                    .get("Message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        Ok(Accepted {
            message_ref: body
                .get("BizId")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Aliyun's documented signing example (SMS API, 签名机制).
    #[test]
    fn the_documented_example_signs_to_the_documented_signature() {
        let p: BTreeMap<String, String> = [
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", "{\"customer\":\"test\"}"),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let sts = aliyun_string_to_sign("GET", &p);
        assert!(sts.starts_with(
            "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
        ));
        assert!(sts.contains("SignName%3D%25E9%2598%25BF%25E9%2587%258C"));
        assert!(sts.ends_with("Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"));
        assert_eq!(
            aliyun_signature("testSecret", &sts),
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="
        );
    }
}
