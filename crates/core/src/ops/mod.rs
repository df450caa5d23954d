//! Operating the gateway: stored limit settings, usage per tenant × capability
//! × day, and the audit log of admin changes — the [`OpsStore`] port and the
//! services around it.

pub mod audit;
mod model;
mod port;
pub mod usage;

use chrono::NaiveDate;

pub use audit::{AuditEntry, redact};
pub use model::{SupplierCost, UsageDelta, UsageRow, usage_report};
pub use port::OpsStore;
pub use usage::UsageMeter;

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
