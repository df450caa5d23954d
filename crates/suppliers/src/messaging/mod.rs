//! Messaging suppliers: SMS, voice calls (TTS) and flash calls, for the
//! verification service ([`phoneguard_core::verify`]).
//!
//! Kinds: `sandbox` (delivers into the in-memory outbox and call log, with
//! `drop_rate`, `fail_rate`, `latency_ms`), `aliyun_sms` (Dysmsapi SendSms, RPC
//! signature), `tencent_sms` (SMS SendSms, TC3-HMAC-SHA256) and `twilio`
//! (Messages for SMS, Calls for voice and flash calls). A voice supplier's
//! `options.caller_pool` lists the numbers flash calls are placed from.
//!
//! [`Directory`] reads the suppliers with capability `sms` or `voice` from the
//! supplier store (the registry's table), opens their credentials and builds
//! the senders; it re-reads them every second, so admin changes reach every node.

mod aliyun_sms;
mod directory;
mod encode;
mod sandbox;
mod tencent_sms;
mod twilio;
#[cfg(test)]
mod wire_tests;

use std::sync::Arc;

use async_trait::async_trait;
use phoneguard_core::suppliers::{Answer, Query, Supplier, SupplierConfig, SupplierError};
use phoneguard_core::verify::{MessageSender, Outbox};
use serde_json::Value;

pub use aliyun_sms::{AliyunSms, aliyun_signature, aliyun_string_to_sign};
pub use directory::Directory;
pub use sandbox::SandboxMessenger;
pub use tencent_sms::{TencentSms, tc3_signature};
pub use twilio::{Twilio, twilio_signature};

use crate::BuildError;

/// Messaging kinds besides `sandbox`.
pub const KINDS: &[&str] = &["aliyun_sms", "tencent_sms", "twilio"];

/// Whether `kind` is a messaging-only kind.
pub fn is_messaging_kind(kind: &str) -> bool {
    KINDS.contains(&kind)
}

fn opt_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A required string of `options` or `credentials`, or an error naming it.
pub(crate) fn required<'a>(v: &'a Value, section: &str, key: &str) -> Result<&'a str, BuildError> {
    opt_str(v, key).ok_or_else(|| BuildError::new(format!("{section}.{key}"), "required"))
}

/// `options.caller_pool`: E.164 caller numbers of flash calls.
pub fn caller_pool(options: &Value) -> Result<Vec<String>, BuildError> {
    let Some(list) = options.get("caller_pool") else {
        return Ok(vec![]);
    };
    let items = list
        .as_array()
        .ok_or_else(|| BuildError::new("options.caller_pool", "a list of phone numbers"))?;
    items
        .iter()
        .map(|n| {
            n.as_str()
                .and_then(|s| phoneguard_numbering::parse(s).ok())
                .map(|p| p.e164())
                .ok_or_else(|| {
                    BuildError::new("options.caller_pool", format!("{n} is not a phone number"))
                })
        })
        .collect()
}

/// Builds the sender of a (validated) configuration with its credentials in clear.
pub fn build_sender(
    config: &SupplierConfig,
    http: &reqwest::Client,
    outbox: &Arc<Outbox>,
) -> Result<Arc<dyn MessageSender>, BuildError> {
    let creds = config
        .credentials
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    let o = &config.options;
    Ok(match config.kind.as_str() {
        "sandbox" => Arc::new(SandboxMessenger::new(&config.id, o, outbox.clone())?),
        "aliyun_sms" => Arc::new(AliyunSms::new(o, &creds, http.clone())?),
        "tencent_sms" => Arc::new(TencentSms::new(o, &creds, http.clone())?),
        "twilio" => Arc::new(Twilio::new(o, &creds, http.clone())?),
        other => {
            return Err(BuildError::new(
                "kind",
                format!("{other:?} cannot send messages"),
            ));
        }
    })
}

/// What the query router gets for a messaging-only kind: it answers no
/// queries (the router never picks it for status or identity).
pub struct NoQueries;

#[async_trait]
impl Supplier for NoQueries {
    async fn call(&self, q: &Query) -> Result<Answer, SupplierError> {
        Err(SupplierError::Unsupported(format!(
            "{} is not answered by a messaging supplier",
            q.capability.as_str()
        )))
    }
}

/// Validates a messaging-only configuration for the registry and returns
/// [`NoQueries`] as its query adapter.
pub fn query_stub(config: &SupplierConfig) -> Result<Arc<dyn Supplier>, BuildError> {
    build_sender(config, &reqwest::Client::new(), &Arc::new(Outbox::new(1)))?;
    caller_pool(&config.options)?;
    Ok(Arc::new(NoQueries))
}
