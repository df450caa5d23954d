//! The sandbox outbox and call log: bounded in-memory rings, never the
//! database. Sandbox suppliers write here; `GET /v1/sandbox/messages` and
//! `GET /v1/sandbox/calls` read here, and it is the only place a code is
//! readable.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A message a sandbox supplier delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    /// Owner (not shown).
    #[serde(skip)]
    pub tenant_id: String,
    /// E.164 destination.
    pub phone: String,
    /// Supplier id.
    pub supplier: String,
    /// `sms` or `voice`.
    pub channel: &'static str,
    /// The text (or the words spoken).
    pub text: String,
    /// The supplier's message id (delivery receipts refer to it).
    pub message_id: String,
    /// When it was delivered.
    pub sent_at: DateTime<Utc>,
}

/// A flash call a sandbox supplier placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxCall {
    /// Owner (not shown).
    #[serde(skip)]
    pub tenant_id: String,
    /// E.164 destination.
    pub phone: String,
    /// Supplier id.
    pub supplier: String,
    /// The number that called (E.164).
    pub caller: String,
    /// The supplier's call id.
    pub call_id: String,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
}

/// The two rings.
#[derive(Debug)]
pub struct Outbox {
    capacity: usize,
    messages: Mutex<VecDeque<OutboxMessage>>,
    calls: Mutex<VecDeque<OutboxCall>>,
}

fn push<T>(ring: &Mutex<VecDeque<T>>, capacity: usize, item: T) {
    let mut q = ring.lock().unwrap_or_else(|p| p.into_inner());
    while q.len() >= capacity {
        q.pop_front();
    }
    q.push_back(item);
}

impl Outbox {
    /// Empty rings of `capacity` entries each.
    pub fn new(capacity: usize) -> Self {
        Outbox {
            capacity: capacity.max(1),
            messages: Mutex::new(VecDeque::new()),
            calls: Mutex::new(VecDeque::new()),
        }
    }

    /// Appends a message, dropping the oldest past the capacity.
    pub fn push_message(&self, m: OutboxMessage) {
        push(&self.messages, self.capacity, m);
    }

    /// Appends a call, dropping the oldest past the capacity.
    pub fn push_call(&self, c: OutboxCall) {
        push(&self.calls, self.capacity, c);
    }

    /// A tenant's messages to `phone` (E.164; `None`: every phone), newest first.
    pub fn messages(&self, tenant_id: &str, phone: Option<&str>) -> Vec<OutboxMessage> {
        let q = self.messages.lock().unwrap_or_else(|p| p.into_inner());
        q.iter()
            .rev()
            .filter(|m| m.tenant_id == tenant_id && phone.is_none_or(|p| m.phone == p))
            .cloned()
            .collect()
    }

    /// A tenant's calls to `phone` (E.164; `None`: every phone), newest first.
    pub fn calls(&self, tenant_id: &str, phone: Option<&str>) -> Vec<OutboxCall> {
        let q = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        q.iter()
            .rev()
            .filter(|c| c.tenant_id == tenant_id && phone.is_none_or(|p| c.phone == p))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(i: usize) -> OutboxMessage {
        OutboxMessage {
            tenant_id: "t".into(),
            phone: "+8613800138000".into(),
            supplier: "sms-a".into(),
            channel: "sms",
            text: format!("code {i}"),
            message_id: format!("m{i}"),
            sent_at: Utc::now(),
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_entries_newest_first() {
        let o = Outbox::new(3);
        for i in 0..5 {
            o.push_message(msg(i));
        }
        let got: Vec<String> = o
            .messages("t", Some("+8613800138000"))
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(got, ["code 4", "code 3", "code 2"]);
        assert!(o.messages("other", None).is_empty());
        assert!(o.messages("t", Some("+8613900000000")).is_empty());
    }
}
