//! Call records are written in batches by a background task, so the request
//! path never waits on the database. They are billing and monitoring data: a
//! batch that cannot be written is kept and retried (backing off from 100 ms
//! to 5 s) until the database takes it, counted in
//! `phoneguard_call_records_write_failures_total`. What waits is bounded: the
//! queue (50,000) and the records kept for retry ([`MAX_KEPT`]); beyond them a
//! record is dropped and counted in `phoneguard_call_records_dropped_total`,
//! rather than slowing requests down.

use std::sync::Arc;
use std::time::Duration;

use phoneguard_core::suppliers::{CallLog, CallRecord, SupplierStore};
use tokio::sync::{mpsc, oneshot};

enum Msg {
    Record(CallRecord),
    Flush(oneshot::Sender<()>),
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Msg>,
}

const BATCH: usize = 512;

/// Most records kept in memory while the database does not take them.
pub const MAX_KEPT: usize = 100_000;

impl Recorder {
    /// Starts the writer on the current runtime.
    pub fn spawn(store: Arc<dyn SupplierStore>) -> Self {
        let (tx, rx) = mpsc::channel::<Msg>(50_000);
        tokio::spawn(write_loop(store, rx));
        Recorder { tx }
    }

    /// Queues a record.
    pub fn record(&self, r: CallRecord) {
        if self.tx.try_send(Msg::Record(r)).is_err() {
            metrics::counter!("phoneguard_call_records_dropped_total").increment(1);
        }
    }

    /// Waits until every record queued before this call is written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

impl CallLog for Recorder {
    fn record(&self, r: CallRecord) {
        Recorder::record(self, r);
    }
}

/// Gathers records into batches and writes them, keeping and retrying what
/// the database refused.
async fn write_loop(store: Arc<dyn SupplierStore>, mut rx: mpsc::Receiver<Msg>) {
    let mut kept: Vec<CallRecord> = Vec::with_capacity(BATCH);
    let mut waiters = vec![];
    let mut backoff = Duration::ZERO;
    let mut open = true;
    loop {
        let first = if kept.is_empty() {
            match rx.recv().await {
                Some(m) => Some(m),
                None => return,
            }
        } else if open {
            // Records kept from a failed write: retry after the back-off,
            // taking what arrives meanwhile.
            match tokio::time::timeout(backoff, rx.recv()).await {
                Ok(Some(m)) => Some(m),
                Ok(None) => {
                    open = false;
                    None
                }
                Err(_) => None,
            }
        } else {
            tokio::time::sleep(backoff).await;
            None
        };
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        let mut next = first;
        while let Some(msg) = next.take() {
            match msg {
                Msg::Record(r) if kept.len() < MAX_KEPT => kept.push(r),
                Msg::Record(_) => {
                    metrics::counter!("phoneguard_call_records_dropped_total").increment(1)
                }
                Msg::Flush(w) => waiters.push(w),
            }
            if kept.len() >= BATCH || !waiters.is_empty() {
                break;
            }
            next = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .ok()
                .flatten();
        }
        // Oldest first, a batch at a time, while the database takes them.
        while !kept.is_empty() {
            let n = kept.len().min(BATCH);
            match store.insert_call_records(&kept[..n]).await {
                Ok(()) => {
                    kept.drain(..n);
                    backoff = Duration::ZERO;
                }
                Err(e) => {
                    metrics::counter!("phoneguard_call_records_write_failures_total").increment(1);
                    backoff =
                        (backoff * 2).clamp(Duration::from_millis(100), Duration::from_secs(5));
                    tracing::warn!(error = %e, kept = kept.len(), retry_ms = backoff.as_millis() as u64, "call records not written yet; kept for retry");
                    break;
                }
            }
        }
        // A flush answers once its records were written, or tried: a reader
        // during an outage gets the database's own error, not a hang.
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use async_trait::async_trait;
    use chrono::{DateTime, Utc};
    use phoneguard_core::StoreError;
    use phoneguard_core::store::StoreResult;
    use phoneguard_core::suppliers::{
        CallStats, SandboxSubscriber, SupplierRecord, TenantCapabilityCount,
    };

    use super::*;

    /// A store whose call-record writes fail while `down` is set.
    #[derive(Default)]
    struct Flaky {
        down: AtomicBool,
        written: Mutex<Vec<CallRecord>>,
    }

    #[async_trait]
    impl SupplierStore for Flaky {
        async fn list_suppliers(&self) -> StoreResult<Vec<SupplierRecord>> {
            Ok(vec![])
        }
        async fn get_supplier(&self, _: &str) -> StoreResult<Option<SupplierRecord>> {
            Ok(None)
        }
        async fn insert_supplier(&self, _: &SupplierRecord) -> StoreResult<()> {
            Ok(())
        }
        async fn update_supplier(&self, _: &SupplierRecord) -> StoreResult<bool> {
            Ok(false)
        }
        async fn delete_supplier(&self, _: &str) -> StoreResult<bool> {
            Ok(false)
        }
        async fn put_sandbox_subscriber(&self, _: &SandboxSubscriber) -> StoreResult<()> {
            Ok(())
        }
        async fn get_sandbox_subscriber(
            &self,
            _: &str,
            _: &str,
        ) -> StoreResult<Option<SandboxSubscriber>> {
            Ok(None)
        }
        async fn insert_call_records(&self, records: &[CallRecord]) -> StoreResult<()> {
            if self.down.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("the database went away".into()));
            }
            self.written.lock().unwrap().extend_from_slice(records);
            Ok(())
        }
        async fn supplier_stats(&self, _: DateTime<Utc>) -> StoreResult<Vec<CallStats>> {
            Ok(vec![])
        }
        async fn tenant_stats(&self, _: DateTime<Utc>) -> StoreResult<Vec<TenantCapabilityCount>> {
            Ok(vec![])
        }
    }

    fn record(i: usize) -> CallRecord {
        CallRecord {
            at: Utc::now(),
            tenant_id: format!("ten_{i}"),
            supplier_id: "s".into(),
            capability: phoneguard_core::suppliers::Capability::Status,
            outcome: "ok".into(),
            latency_us: 1_000,
            price_milli: 30,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn records_made_while_the_database_is_away_are_written_when_it_is_back() {
        let store = Arc::new(Flaky::default());
        let rec = Recorder::spawn(store.clone());
        for i in 0..700 {
            rec.record(record(i));
        }
        rec.flush().await;
        assert_eq!(store.written.lock().unwrap().len(), 700);

        store.down.store(true, Ordering::SeqCst);
        for i in 700..2_000 {
            rec.record(record(i));
        }
        rec.flush().await;
        assert_eq!(
            store.written.lock().unwrap().len(),
            700,
            "nothing written while the database is away"
        );
        tokio::time::sleep(Duration::from_secs(20)).await;
        store.down.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(6)).await;
        rec.flush().await;
        let written = store.written.lock().unwrap();
        assert_eq!(
            written.len(),
            2_000,
            "every record kept was written once it was back"
        );
        let mut ids: Vec<_> = written.iter().map(|r| r.tenant_id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 2_000, "each exactly once");
    }
}
