//! Usage per tenant × capability × UTC day: calls and billable calls counted in
//! memory by [`UsageMeter`] and added to the store in batches, supplier costs
//! read from the call records, both merged by [`usage_report`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::Serialize;

use crate::limits::ApiCapability;
use crate::store::{Store, StoreResult};

/// Calls to add to (or read from) one tenant × capability × day counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageDelta {
    /// Tenant.
    pub tenant_id: String,
    /// Capability code (`lookup`, `status`, …).
    pub capability: String,
    /// UTC day.
    pub day: NaiveDate,
    /// Calls admitted.
    pub calls: i64,
    /// Calls answered successfully (2xx).
    pub billable: i64,
}

/// Successful supplier calls of one tenant, day and supplier capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierCost {
    /// Tenant.
    pub tenant_id: String,
    /// UTC day.
    pub day: NaiveDate,
    /// Supplier capability code (`status`, `tenure`, `identity`, …).
    pub capability: String,
    /// Successful calls.
    pub calls: i64,
    /// Their price, milli-yuan.
    pub cost_milli: i64,
}

/// One line of a usage report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageRow {
    /// Tenant.
    pub tenant_id: String,
    /// UTC day, `YYYY-MM-DD`.
    pub day: NaiveDate,
    /// Capability code.
    pub capability: String,
    /// Calls admitted (a batch counts each number).
    pub calls: i64,
    /// Calls answered successfully.
    pub billable_calls: i64,
    /// Successful supplier calls made for them.
    pub supplier_calls: i64,
    /// What those supplier calls cost, milli-yuan (厘).
    pub cost_milli: i64,
}

type Rows = BTreeMap<(String, NaiveDate, String), UsageRow>;

fn row<'a>(rows: &'a mut Rows, tenant: &str, day: NaiveDate, cap: &str) -> &'a mut UsageRow {
    rows.entry((tenant.to_string(), day, cap.to_string()))
        .or_insert_with(|| UsageRow {
            tenant_id: tenant.to_string(),
            day,
            capability: cap.to_string(),
            calls: 0,
            billable_calls: 0,
            supplier_calls: 0,
            cost_milli: 0,
        })
}

/// Merges counters and supplier costs into report rows, ordered by tenant, day
/// and capability.
pub fn usage_report(counts: &[UsageDelta], costs: &[SupplierCost]) -> Vec<UsageRow> {
    let mut rows: Rows = BTreeMap::new();
    for c in counts {
        let r = row(&mut rows, &c.tenant_id, c.day, &c.capability);
        r.calls += c.calls;
        r.billable_calls += c.billable;
    }
    for c in costs {
        let cap: &str = match ApiCapability::of_supplier_capability(&c.capability) {
            Some(a) => a.as_str(),
            None => &c.capability,
        };
        let r = row(&mut rows, &c.tenant_id, c.day, cap);
        r.supplier_calls += c.calls;
        r.cost_milli += c.cost_milli;
    }
    rows.into_values().collect()
}

type Key = (String, ApiCapability, NaiveDate);

/// Counts calls in memory and writes them to the store in batches: the request
/// path never waits on the database. Call [`UsageMeter::flush`] periodically
/// and once more at shutdown, after the last request is answered.
pub struct UsageMeter {
    store: Arc<dyn Store>,
    pending: Mutex<HashMap<Key, (i64, i64)>>,
}

impl UsageMeter {
    /// A meter writing to `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
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
