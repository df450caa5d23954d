//! The sandbox outbox and call log: bounded in-memory rings, never the
//! database. Sandbox suppliers write here; `GET /v1/sandbox/messages` and
//! `GET /v1/sandbox/calls` read here, and it is the only place a code is
//! readable.

use std::collections::{HashMap, VecDeque};
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

/// A bounded ring with an index by (tenant, phone): reading one phone's
/// entries costs that phone's entries, not a scan of the whole ring (100,000
/// entries when a load test raises the capacity, under the ring's lock).
#[derive(Debug)]
struct Ring<T> {
    /// Entries oldest first; `entries[i]` has sequence number `first + i`.
    entries: VecDeque<T>,
    first: u64,
    /// Sequence numbers of each (tenant, phone)'s entries, oldest first.
    by_phone: HashMap<(String, String), VecDeque<u64>>,
}

/// What the ring indexes an entry by.
trait Addressed {
    fn tenant_id(&self) -> &str;
    fn phone(&self) -> &str;
}

impl Addressed for OutboxMessage {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    fn phone(&self) -> &str {
        &self.phone
    }
}

impl Addressed for OutboxCall {
    fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    fn phone(&self) -> &str {
        &self.phone
    }
}

impl<T: Addressed + Clone> Ring<T> {
    fn new() -> Self {
        Ring {
            entries: VecDeque::new(),
            first: 0,
            by_phone: HashMap::new(),
        }
    }

    fn push(&mut self, capacity: usize, item: T) {
        while self.entries.len() >= capacity {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            let key = (old.tenant_id().to_string(), old.phone().to_string());
            if let Some(seqs) = self.by_phone.get_mut(&key) {
                // The oldest entry of the ring is the oldest of its phone.
                seqs.pop_front();
                if seqs.is_empty() {
                    self.by_phone.remove(&key);
                }
            }
            self.first += 1;
        }
        let seq = self.first + self.entries.len() as u64;
        self.by_phone
            .entry((item.tenant_id().to_string(), item.phone().to_string()))
            .or_default()
            .push_back(seq);
        self.entries.push_back(item);
    }

    /// A tenant's entries to `phone` (every phone when `None`), newest first.
    fn of(&self, tenant_id: &str, phone: Option<&str>) -> Vec<T> {
        match phone {
            None => self
                .entries
                .iter()
                .rev()
                .filter(|e| e.tenant_id() == tenant_id)
                .cloned()
                .collect(),
            Some(p) => self
                .by_phone
                .get(&(tenant_id.to_string(), p.to_string()))
                .map(|seqs| {
                    seqs.iter()
                        .rev()
                        .filter_map(|s| self.entries.get((s - self.first) as usize))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// A delivery receipt a sandbox supplier owes for a message or call it
/// delivered: applied by [`super::VerifyService::run_sandbox_receipts`], as a
/// real supplier's receipt is by `POST /v1/receipts/…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxReceipt {
    /// Supplier id.
    pub supplier: String,
    /// The supplier's message or call id.
    pub message_id: String,
    /// Times it was tried before (the attempt it names may not be stored yet).
    pub tries: u32,
}

/// The two rings, and the receipts not yet applied.
#[derive(Debug)]
pub struct Outbox {
    capacity: usize,
    messages: Mutex<Ring<OutboxMessage>>,
    calls: Mutex<Ring<OutboxCall>>,
    receipts: Mutex<VecDeque<SandboxReceipt>>,
    receipts_ready: tokio::sync::Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Outbox {
    /// Empty rings of `capacity` entries each.
    pub fn new(capacity: usize) -> Self {
        Outbox {
            capacity: capacity.max(1),
            messages: Mutex::new(Ring::new()),
            calls: Mutex::new(Ring::new()),
            receipts: Mutex::new(VecDeque::new()),
            receipts_ready: tokio::sync::Notify::new(),
        }
    }

    /// Queues a receipt, dropping the oldest past the capacity (a receipt
    /// lost that way leaves its attempt `sent`, as a lost vendor callback does).
    pub fn push_receipt(&self, r: SandboxReceipt) {
        {
            let mut q = lock(&self.receipts);
            if q.len() >= self.capacity {
                q.pop_front();
            }
            q.push_back(r);
        }
        self.receipts_ready.notify_one();
    }

    /// Every queued receipt, waiting until there is one.
    pub async fn take_receipts(&self) -> Vec<SandboxReceipt> {
        loop {
            let ready = self.receipts_ready.notified();
            {
                let mut q = lock(&self.receipts);
                if !q.is_empty() {
                    return q.drain(..).collect();
                }
            }
            ready.await;
        }
    }

    /// Appends a message, dropping the oldest past the capacity.
    pub fn push_message(&self, m: OutboxMessage) {
        lock(&self.messages).push(self.capacity, m);
    }

    /// Appends a call, dropping the oldest past the capacity.
    pub fn push_call(&self, c: OutboxCall) {
        lock(&self.calls).push(self.capacity, c);
    }

    /// A tenant's messages to `phone` (E.164; `None`: every phone), newest first.
    pub fn messages(&self, tenant_id: &str, phone: Option<&str>) -> Vec<OutboxMessage> {
        lock(&self.messages).of(tenant_id, phone)
    }

    /// A tenant's calls to `phone` (E.164; `None`: every phone), newest first.
    pub fn calls(&self, tenant_id: &str, phone: Option<&str>) -> Vec<OutboxCall> {
        lock(&self.calls).of(tenant_id, phone)
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

    #[test]
    fn the_phone_index_follows_the_ring_as_it_wraps() {
        let o = Outbox::new(4);
        let to = |i: usize, phone: &str, tenant: &str| OutboxMessage {
            tenant_id: tenant.into(),
            phone: phone.into(),
            ..msg(i)
        };
        o.push_message(to(0, "+8613800000001", "t"));
        o.push_message(to(1, "+8613800000002", "t"));
        o.push_message(to(2, "+8613800000001", "u"));
        o.push_message(to(3, "+8613800000001", "t"));
        o.push_message(to(4, "+8613800000002", "t")); // drops 0
        o.push_message(to(5, "+8613800000001", "t")); // drops 1
        let texts = |tenant: &str, phone: Option<&str>| -> Vec<String> {
            o.messages(tenant, phone)
                .into_iter()
                .map(|m| m.text)
                .collect()
        };
        assert_eq!(texts("t", Some("+8613800000001")), ["code 5", "code 3"]);
        assert_eq!(texts("t", Some("+8613800000002")), ["code 4"]);
        assert_eq!(texts("u", Some("+8613800000001")), ["code 2"]);
        assert_eq!(texts("t", None), ["code 5", "code 4", "code 3"]);
        for i in 6..20 {
            o.push_message(to(i, "+8613800000003", "t"));
        }
        assert!(texts("t", Some("+8613800000001")).is_empty());
        assert!(texts("u", Some("+8613800000001")).is_empty());
        assert_eq!(texts("t", Some("+8613800000003")).len(), 4);
        assert_eq!(lock(&o.messages).by_phone.len(), 1);
    }
}
