//! The records of operations: usage counters, supplier costs, the usage
//! report that merges them, and the audit log's entries.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::limits::ApiCapability;

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

/// One admin change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Assigned by the store, increasing.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `admin` (the admin token).
    pub actor: String,
    /// What, e.g. `supplier.update`, `tenant.create`, `key.revoke`.
    pub action: String,
    /// The id of what changed (`sms-a`, `ten_…`, `key_…`).
    pub target: String,
    /// The state before, redacted (`None`: created).
    pub before: Option<Value>,
    /// The state after, redacted (`None`: deleted).
    pub after: Option<Value>,
    /// `x-request-id` of the request that made the change.
    pub request_id: Option<String>,
}

/// Unix milliseconds of the start of a UTC day.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp_millis()
}

/// The UTC day of a count of days since 1970-01-01.
pub fn day_of_index(index: i64) -> NaiveDate {
    NaiveDate::default() + chrono::Days::new(u64::try_from(index).unwrap_or(0))
}
