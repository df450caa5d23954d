//! Call records are written in batches by a background task, so the request
//! path never waits on the database. A full queue drops records (counted in
//! `phoneguard_call_records_dropped_total`) rather than slow requests down.

use std::sync::Arc;
use std::time::Duration;

use phoneguard_core::suppliers::{CallRecord, SupplierStore};
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

impl Recorder {
    /// Starts the writer on the current runtime.
    pub fn spawn(store: Arc<dyn SupplierStore>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Msg>(50_000);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            let mut waiters = vec![];
            while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
                while let Some(msg) = next.take() {
                    match msg {
                        Msg::Record(r) => batch.push(r),
                        Msg::Flush(w) => waiters.push(w),
                    }
                    if batch.len() >= BATCH || !waiters.is_empty() {
                        break;
                    }
                    next = tokio::time::timeout_at(deadline, rx.recv())
                        .await
                        .ok()
                        .flatten();
                }
                if !batch.is_empty() {
                    if let Err(e) = store.insert_call_records(&batch).await {
                        tracing::warn!(error = %e, records = batch.len(), "call records not written");
                    }
                    batch.clear();
                }
                for w in waiters.drain(..) {
                    let _ = w.send(());
                }
            }
        });
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
