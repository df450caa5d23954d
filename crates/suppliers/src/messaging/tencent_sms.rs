//! `tencent_sms`: Tencent Cloud SMS (2021-01-11) `SendSms`, signed with
//! TC3-HMAC-SHA256: a canonical request (method, `/`, empty query, the
//! `content-type` and `host` headers, the hex SHA-256 of the JSON body), a
//! string to sign (`TC3-HMAC-SHA256`, timestamp, `date/service/tc3_request`,
//! hex SHA-256 of the canonical request), and a key derived as
//! `HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")`.
//!
//! Options: `sms_sdk_app_id`, `sign_name`, `template_id` (parameters: code,
//! TTL minutes), `endpoint` (default `https://sms.tencentcloudapi.com`),
//! `region` (`ap-guangzhou`). Credentials: `secret_id`, `secret_key`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::suppliers::SupplierError;
use phoneguard_core::verify::{Accepted, Channel, MessageSender, Outbound};
use serde_json::{Value, json};

use super::encode::{hmac_sha256, sha256_hex, transport};
use super::{opt_str, required};
use crate::BuildError;

const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// Tencent Cloud SMS sender.
pub struct TencentSms {
    http: reqwest::Client,
    endpoint: String,
    host: String,
    region: String,
    app_id: String,
    sign_name: String,
    template_id: String,
    secret_id: String,
    secret_key: String,
}

/// The `Authorization` header of a TC3-HMAC-SHA256 POST of `payload` to `host`.
pub fn tc3_signature(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    timestamp: i64,
    payload: &str,
) -> String {
    let date = DateTime::<Utc>::from_timestamp(timestamp, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string();
    let canonical = format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n\ncontent-type;host\n{}",
        sha256_hex(payload.as_bytes())
    );
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"tc3_request");
    let signature = hex::encode(hmac_sha256(&k_signing, to_sign.as_bytes()));
    format!(
        "TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"
    )
}

impl TencentSms {
    /// Builds the sender.
    pub fn new(options: &Value, creds: &Value, http: reqwest::Client) -> Result<Self, BuildError> {
        let endpoint = opt_str(options, "endpoint")
            .unwrap_or("https://sms.tencentcloudapi.com")
            .to_string();
        let host = reqwest::Url::parse(&endpoint)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_string(),
                })
            })
            .ok_or_else(|| BuildError::new("options.endpoint", "an https:// URL"))?;
        Ok(TencentSms {
            http,
            endpoint,
            host,
            region: opt_str(options, "region")
                .unwrap_or("ap-guangzhou")
                .to_string(),
            app_id: required(options, "options", "sms_sdk_app_id")?.to_string(),
            sign_name: required(options, "options", "sign_name")?.to_string(),
            template_id: required(options, "options", "template_id")?.to_string(),
            secret_id: required(creds, "credentials", "secret_id")?.to_string(),
            secret_key: required(creds, "credentials", "secret_key")?.to_string(),
        })
    }
}

#[async_trait]
impl MessageSender for TencentSms {
    async fn send(&self, msg: &Outbound) -> Result<Accepted, SupplierError> {
        if msg.channel != Channel::Sms {
            return Err(SupplierError::Unsupported(
                "tencent_sms sends SMS only".into(),
            ));
        }
        let payload = json!({
            "PhoneNumberSet": [msg.to],
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": self.template_id,
            "TemplateParamSet": [msg.code, msg.ttl_min.to_string()],
            "SessionContext": msg.verification_id,
        })
        .to_string();
        let ts = Utc::now().timestamp();
        let auth = tc3_signature(
            &self.secret_id,
            &self.secret_key,
            "sms",
            &self.host,
            ts,
            &payload,
        );
        let resp = self
            .http
            .post(&self.endpoint)
            .header("Authorization", auth)
            .header("Content-Type", CONTENT_TYPE)
            .header("X-TC-Action", "SendSms")
            .header("X-TC-Timestamp", ts.to_string())
            .header("X-TC-Version", "2021-01-11")
            .header("X-TC-Region", &self.region)
            .body(payload)
            .send()
            .await
            .map_err(transport)?;
        let body: Value = resp
            .json()
            .await
            .map_err(|e| SupplierError::BadResponse(e.to_string()))?;
        let r = &body["Response"];
        if let Some(e) = r.get("Error") {
            return Err(SupplierError::Business {
                code: e["Code"].as_str().unwrap_or_default().to_string(),
                message: e["Message"].as_str().unwrap_or_default().to_string(),
            });
        }
        let first = &r["SendStatusSet"][0];
        match first["Code"].as_str() {
            Some("Ok") => Ok(Accepted {
                message_ref: first["SerialNo"].as_str().map(str::to_string),
            }),
            Some(code) => Err(SupplierError::Business {
                code: code.to_string(),
                message: first["Message"].as_str().unwrap_or_default().to_string(),
            }),
            None => Err(SupplierError::BadResponse(
                "no SendStatusSet in the answer".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tencent Cloud's documented TC3 example (API 3.0 签名方法 v3, CVM DescribeInstances).
    #[test]
    fn the_documented_example_signs_to_the_documented_signature() {
        let payload = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        assert_eq!(
            sha256_hex(payload.as_bytes()),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        let auth = tc3_signature(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
            "Gu5t9xGARNpq86cd98joQYCN3*******",
            "cvm",
            "cvm.tencentcloudapi.com",
            1_551_113_065,
            payload,
        );
        assert_eq!(
            auth,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }
}
