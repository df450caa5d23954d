//! Usage per tenant × capability × UTC day: calls and billable calls counted in
//! memory by [`UsageMeter`] and added to the store in batches (supplier costs
//! are read from the call records; [`super::usage_report`] merges both).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

pub use super::model::{SupplierCost, UsageDelta, UsageRow, usage_report};
use super::port::OpsStore;
use crate::limits::ApiCapability;
use crate::store::error::StoreResult;

type Key = (String, ApiCapability, NaiveDate);

/// Counts calls in memory and writes them to the store in batches: the request
/// path never waits on the database. Call [`UsageMeter::flush`] periodically
/// and once more at shutdown, after the last request is answered.
pub struct UsageMeter {
    store: Arc<dyn OpsStore>,
    pending: Mutex<HashMap<Key, (i64, i64)>>,
}

impl UsageMeter {
    /// A meter writing to `store`.
    pub fn new(store: Arc<dyn OpsStore>) -> Self {
        UsageMeter {
            store,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Counts `calls` calls of `cap` for a tenant on `day`, `billable` of them billable.
    pub fn count(
        &self,
        tenant_id: &str,
        cap: ApiCapability,
        day: NaiveDate,
        calls: i64,
        billable: i64,
    ) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let e = p.entry((tenant_id.to_string(), cap, day)).or_default();
        e.0 += calls;
        e.1 += billable;
    }

    /// Writes every pending count; on failure the counts are kept for the next flush.
    pub async fn flush(&self) -> StoreResult<usize> {
        let taken: HashMap<Key, (i64, i64)> = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *p)
        };
        if taken.is_empty() {
            return Ok(0);
        }
        let deltas: Vec<UsageDelta> = taken
            .iter()
            .map(|((t, c, d), (calls, billable))| UsageDelta {
                tenant_id: t.clone(),
                capability: c.as_str().to_string(),
                day: *d,
                calls: *calls,
                billable: *billable,
            })
            .collect();
        match self.store.add_usage(&deltas).await {
            Ok(()) => Ok(deltas.len()),
            Err(e) => {
                let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (k, (calls, billable)) in taken {
                    let e = p.entry(k).or_default();
                    e.0 += calls;
                    e.1 += billable;
                }
                Err(e)
            }
        }
    }
}
