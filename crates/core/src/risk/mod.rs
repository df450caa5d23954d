//! Risk: registration and login protection, results by token, device risk.
//!
//! The pure engine (`phoneguard-risk`) computes features and runs the rules;
//! [`RiskService`] does the I/O around it: velocity counters through the
//! [`RiskCounters`] port ([`MemoryRiskCounters`] in process, a Redis
//! implementation in `phoneguard-counters`), phone facts from the number
//! table, results kept through the [`RiskStore`] port. `[risk]` of the
//! configuration is [`RiskConfig`].

mod filing;
mod memory;
mod model;
mod port;
mod service;
mod settings;

pub use memory::MemoryRiskCounters;
pub use model::{DeviceSummary, LineCheck, RiskReason, RiskRecord, kind_of, phone_facts};
pub use port::{CountersError, RiskCounters, RiskStore};
pub use service::{RiskError, RiskService};
pub use settings::{RiskConfig, RulesLoadError};
