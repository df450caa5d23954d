//! `twilio`: Twilio Programmable Messaging (`Messages.json`) for SMS and
//! Voice (`Calls.json`) for voice codes (TwiML `<Say>`) and flash calls (a
//! call from the chosen caller number that rings briefly; TwiML `<Hangup/>`
//! if answered). HTTP Basic auth with the account SID and auth token, form
//! bodies. Delivery receipts carry `X-Twilio-Signature`, checked with
//! [`twilio_signature`].
//!
//! Options: `from` (sender number for SMS and voice), `base_url` (default
//! `https://api.twilio.com`), `status_callback` (receipt URL), `ring_s`
//! (flash-call ring time, default 10), `caller_pool`. Credentials:
//! `account_sid`, `auth_token`.

use async_trait::async_trait;
use phoneguard_core::suppliers::SupplierError;
use phoneguard_core::verify::{Accepted, Channel, MessageSender, Outbound};
use serde_json::Value;

use super::encode::{b64, hmac_sha1, transport};
use super::{opt_str, required};
use crate::BuildError;

/// Twilio sender.
pub struct Twilio {
    http: reqwest::Client,
    base_url: String,
    from: Option<String>,
    status_callback: Option<String>,
    ring_s: u64,
    account_sid: String,
    auth_token: String,
}

/// `X-Twilio-Signature` of a request: Base64(HMAC-SHA1(auth token, URL +
/// every POST parameter name and value, sorted by name)).
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    b64(&hmac_sha1(auth_token.as_bytes(), data.as_bytes()))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Twilio {
    /// Builds the sender.
    pub fn new(options: &Value, creds: &Value, http: reqwest::Client) -> Result<Self, BuildError> {
        Ok(Twilio {
            http,
            base_url: opt_str(options, "base_url")
                .unwrap_or("https://api.twilio.com")
                .trim_end_matches('/')
                .to_string(),
            from: opt_str(options, "from").map(str::to_string),
            status_callback: opt_str(options, "status_callback").map(str::to_string),
            ring_s: options
                .get("ring_s")
                .and_then(Value::as_u64)
                .unwrap_or(10)
                .clamp(5, 60),
            account_sid: required(creds, "credentials", "account_sid")?.to_string(),
            auth_token: required(creds, "credentials", "auth_token")?.to_string(),
        })
    }

    /// The token that signs this account's receipts.
    pub fn auth_token(&self) -> &str {
        &self.auth_token
    }

    /// Resource path and form of one message or call.
    pub fn request(
        &self,
        msg: &Outbound,
    ) -> Result<(String, Vec<(String, String)>), SupplierError> {
        let from = || {
            self.from
                .clone()
                .ok_or_else(|| SupplierError::Unsupported("options.from is not set".into()))
        };
        let lang = if msg.locale == "en" { "en-US" } else { "zh-CN" };
        let (resource, mut form) = match msg.channel {
            Channel::Sms => (
                "Messages",
                vec![
                    ("To", msg.to.clone()),
                    ("From", from()?),
                    ("Body", msg.text.clone()),
                ],
            ),
            Channel::Voice => (
                "Calls",
                vec![
                    ("To", msg.to.clone()),
                    ("From", from()?),
                    (
                        "Twiml",
                        format!(
                            "<Response><Say language=\"{lang}\">{}</Say></Response>",
                            xml_escape(&msg.text)
                        ),
                    ),
                ],
            ),
            Channel::FlashCall => (
                "Calls",
                vec![
                    ("To", msg.to.clone()),
                    (
                        "From",
                        msg.caller.clone().ok_or_else(|| {
                            SupplierError::Unsupported("flash call without a caller".into())
                        })?,
                    ),
                    ("Timeout", self.ring_s.to_string()),
                    ("Twiml", "<Response><Hangup/></Response>".to_string()),
                ],
            ),
            Channel::Auto | Channel::Carrier => {
                return Err(SupplierError::Unsupported(format!(
                    "channel {}",
                    msg.channel.as_str()
                )));
            }
        };
        if let Some(cb) = &self.status_callback {
            form.push(("StatusCallback", cb.clone()));
        }
        let path = format!("/2010-04-01/Accounts/{}/{resource}.json", self.account_sid);
        Ok((
            path,
            form.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ))
    }
}

#[async_trait]
impl MessageSender for Twilio {
    async fn send(&self, msg: &Outbound) -> Result<Accepted, SupplierError> {
        let (path, form) = self.request(msg)?;
        let resp = self
            .http
            .post(format!("{}{path}", self.base_url))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .map_err(|e| SupplierError::BadResponse(e.to_string()))?;
        if !status.is_success() {
            return Err(SupplierError::Business {
                code: body["code"]
                    .as_u64()
                    .map_or_else(|| status.as_u16().to_string(), |c| c.to_string()),
                message: body["message"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(Accepted {
            message_ref: body["sid"].as_str().map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's documented request-validation example.
    #[test]
    fn the_documented_example_signs_to_the_documented_signature() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let sig = twilio_signature(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params,
        );
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }
}
