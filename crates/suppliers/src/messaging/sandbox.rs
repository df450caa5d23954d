//! The `sandbox` messaging supplier: SMS and voice messages go into the
//! in-memory outbox, flash calls into the call log — never the database —
//! and each one delivered is followed by its delivery receipt.
//!
//! Options: `drop_rate` (0–1: accepted but never delivered, so it is not in
//! the outbox), `fail_rate` (0–1: refused), `latency_ms` (delay before
//! accepting), `caller_pool` (flash-call caller numbers).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use phoneguard_core::suppliers::SupplierError;
use phoneguard_core::verify::{
    Accepted, Channel, MessageSender, Outbound, Outbox, OutboxCall, OutboxMessage, SandboxReceipt,
};
use rand::Rng;
use serde_json::Value;

use crate::BuildError;

/// Sandbox sender.
pub struct SandboxMessenger {
    id: String,
    outbox: Arc<Outbox>,
    drop_rate: f64,
    fail_rate: f64,
    latency: Duration,
}

fn rate(options: &Value, key: &str) -> Result<f64, BuildError> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(0.0),
        Some(v) => v
            .as_f64()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| BuildError::new(format!("options.{key}"), "a number from 0 to 1")),
    }
}

impl SandboxMessenger {
    /// Builds the sender of supplier `id` from its options.
    pub fn new(id: &str, options: &Value, outbox: Arc<Outbox>) -> Result<Self, BuildError> {
        let latency_ms = match options.get("latency_ms") {
            None | Some(Value::Null) => 0,
            Some(v) => v.as_u64().filter(|ms| *ms <= 60_000).ok_or_else(|| {
                BuildError::new("options.latency_ms", "whole milliseconds, 0 to 60000")
            })?,
        };
        Ok(SandboxMessenger {
            id: id.to_string(),
            outbox,
            drop_rate: rate(options, "drop_rate")?,
            fail_rate: rate(options, "fail_rate")?,
            latency: Duration::from_millis(latency_ms),
        })
    }
}

#[async_trait]
impl MessageSender for SandboxMessenger {
    async fn send(&self, msg: &Outbound) -> Result<Accepted, SupplierError> {
        let (fail, drop) = {
            let mut rng = rand::rng();
            (
                rng.random_bool(self.fail_rate),
                rng.random_bool(self.drop_rate),
            )
        };
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if fail {
            return Err(SupplierError::Transport("sandbox fault (fail_rate)".into()));
        }
        let id = format!("sbx_{}", uuid::Uuid::now_v7().simple());
        if drop {
            tracing::debug!(supplier = %self.id, "sandbox dropped a message (drop_rate)");
            return Ok(Accepted {
                message_ref: Some(id),
            });
        }
        let now = Utc::now();
        match msg.channel {
            Channel::FlashCall => {
                let caller = msg.caller.clone().ok_or_else(|| {
                    SupplierError::Unsupported("flash call without a caller".into())
                })?;
                self.outbox.push_call(OutboxCall {
                    tenant_id: msg.tenant_id.clone(),
                    phone: msg.to.clone(),
                    supplier: self.id.clone(),
                    caller,
                    call_id: id.clone(),
                    placed_at: now,
                });
            }
            channel => self.outbox.push_message(OutboxMessage {
                tenant_id: msg.tenant_id.clone(),
                phone: msg.to.clone(),
                supplier: self.id.clone(),
                channel: if channel == Channel::Voice {
                    "voice"
                } else {
                    "sms"
                },
                text: msg.text.clone(),
                message_id: id.clone(),
                sent_at: now,
            }),
        }
        // Delivered: the receipt follows, as a real supplier's callback does.
        self.outbox.push_receipt(SandboxReceipt {
            supplier: self.id.clone(),
            message_id: id.clone(),
            tries: 0,
        });
        Ok(Accepted {
            message_ref: Some(id),
        })
    }
}
