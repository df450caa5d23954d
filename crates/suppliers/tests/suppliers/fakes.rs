//! An in-memory `SupplierStore` and scripted suppliers.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::secrets::HashKey;
use phoneguard_core::store::{StoreError, StoreResult};
use phoneguard_core::suppliers::*;
use phoneguard_suppliers::AdapterContext;
use tokio::sync::oneshot;

/// Keeps suppliers, sandbox subscribers and call records in memory. The next
/// listing of suppliers can be made to stall after it has read the table: the
/// shape of a slow database answer.
#[derive(Default)]
pub struct MemStore {
    pub calls: Mutex<Vec<CallRecord>>,
    pub subs: Mutex<Vec<SandboxSubscriber>>,
    pub suppliers: Mutex<Vec<SupplierRecord>>,
    /// Signalled once the stalled listing has read; it returns on the second.
    pub stall_next_list: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

#[async_trait]
impl SupplierStore for MemStore {
    async fn list_suppliers(&self) -> StoreResult<Vec<SupplierRecord>> {
        let rows = self.suppliers.lock().unwrap().clone();
        let stall = self.stall_next_list.lock().unwrap().take();
        if let Some((read, go)) = stall {
            read.send(()).unwrap();
            go.await.unwrap();
        }
        Ok(rows)
    }
    async fn get_supplier(&self, id: &str) -> StoreResult<Option<SupplierRecord>> {
        let rows = self.suppliers.lock().unwrap();
        Ok(rows.iter().find(|r| r.id == id).cloned())
    }
    async fn insert_supplier(&self, r: &SupplierRecord) -> StoreResult<()> {
        let mut rows = self.suppliers.lock().unwrap();
        if rows.iter().any(|x| x.id == r.id) {
            return Err(StoreError::Conflict(r.id.clone()));
        }
        rows.push(r.clone());
        Ok(())
    }
    async fn update_supplier(&self, r: &SupplierRecord) -> StoreResult<bool> {
        let mut rows = self.suppliers.lock().unwrap();
        let Some(x) = rows.iter_mut().find(|x| x.id == r.id) else {
            return Ok(false);
        };
        *x = r.clone();
        Ok(true)
    }
    async fn delete_supplier(&self, id: &str) -> StoreResult<bool> {
        let mut rows = self.suppliers.lock().unwrap();
        let before = rows.len();
        rows.retain(|x| x.id != id);
        Ok(rows.len() < before)
    }
    async fn put_sandbox_subscriber(&self, s: &SandboxSubscriber) -> StoreResult<()> {
        self.subs.lock().unwrap().push(s.clone());
        Ok(())
    }
    async fn get_sandbox_subscriber(
        &self,
        t: &str,
        h: &str,
    ) -> StoreResult<Option<SandboxSubscriber>> {
        Ok(self
            .subs
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|s| s.tenant_id == t && s.number_hash == h)
            .cloned())
    }
    async fn insert_call_records(&self, r: &[CallRecord]) -> StoreResult<()> {
        self.calls.lock().unwrap().extend_from_slice(r);
        Ok(())
    }
    async fn supplier_stats(&self, _: DateTime<Utc>) -> StoreResult<Vec<CallStats>> {
        Ok(vec![])
    }
    async fn tenant_stats(&self, _: DateTime<Utc>) -> StoreResult<Vec<TenantCapabilityCount>> {
        Ok(vec![])
    }
}

pub fn context(store: Arc<MemStore>) -> AdapterContext {
    AdapterContext::new(HashKey::new(vec![9u8; 32]), store)
}

pub fn subject(national: &str) -> Subject {
    Subject {
        tenant_id: "ten_test".into(),
        e164: format!("+86{national}"),
        national: national.into(),
        carrier: Some("cmcc".into()),
    }
}

pub fn query(cap: Capability) -> Query {
    Query {
        capability: cap,
        subject: subject("13800138000"),
        identity: None,
        carrier: None,
    }
}

/// A supplier that answers `normal` after `latency`, or fails / hangs while `dead` is set.
pub struct Scripted {
    pub dead: AtomicBool,
    pub hang: bool,
    pub latency: Duration,
    pub calls: AtomicU32,
}

impl Scripted {
    pub fn new(dead: bool, hang: bool, latency: Duration) -> Arc<Self> {
        Arc::new(Scripted {
            dead: AtomicBool::new(dead),
            hang,
            latency,
            calls: AtomicU32::new(0),
        })
    }
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Supplier for Scripted {
    async fn call(&self, _: &Query) -> Result<Answer, SupplierError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if self.dead.load(Ordering::SeqCst) {
            if self.hang {
                std::future::pending::<()>().await;
            }
            return Err(SupplierError::HttpStatus(502));
        }
        Ok(Answer::Status(StatusAnswer {
            status: LineStatus::Normal,
            carrier: None,
            ported: None,
        }))
    }
}

/// A status supplier config.
pub fn config(id: &str, kind: &str, weight: u32) -> SupplierConfig {
    serde_json::from_value(serde_json::json!({
        "id": id, "kind": kind, "capabilities": ["status"], "weight": weight
    }))
    .unwrap()
}
