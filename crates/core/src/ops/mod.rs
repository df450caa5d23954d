//! Operating the gateway: stored limit settings, usage per tenant × capability
//! × day, and the audit log of admin changes — the [`OpsStore`] port and the
//! services around it.

mod model;
mod port;
mod service;

pub use model::{
    AuditEntry, SupplierCost, UsageDelta, UsageRow, day_of_index, day_start_ms, usage_report,
};
pub use port::OpsStore;
pub use service::{UsageMeter, redact};
