//! Rate limits (GCRA) and daily quotas per tenant and per key, by capability.
//!
//! [`Limits`] decides whether a call may go ahead; the counting itself is
//! behind the [`Limiter`] port: [`MemoryLimiter`] (in process, `governor`) for
//! one node, a Redis implementation (`phoneguard-counters`) for several, chosen
//! at start from `redis_url`. Settings are stored per tenant and per key
//! ([`LimitSettings`], through [`crate::ops::OpsStore`]) and fall back to the
//! `[limits]` defaults of the configuration.

mod memory;
mod model;
mod port;
mod service;
mod settings;

pub use memory::MemoryLimiter;
pub use model::{QuotaDecision, Rate, RateDecision};
pub use port::{Limiter, LimiterError};
pub use service::{Admission, Limits, Refusal, RefusalKind, Window};
pub use settings::{ApiCapability, LimitSettings, LimitsConfig};
