//! Rate limits (GCRA) and daily quotas per tenant and per key, by capability.
//!
//! [`Limits`] decides whether a call may go ahead; the counting itself is
//! behind the [`Limiter`] port: [`MemoryLimiter`] (in process, `governor`) for
//! one node, a Redis implementation (`phoneguard-counters`) for several, chosen
//! at start from `redis_url`. Settings are stored per tenant and per key
//! ([`LimitSettings`], through [`crate::ops::OpsStore`]) and fall back to the
//! `[limits]` defaults of the configuration.

mod memory;
mod service;
mod settings;

pub use memory::MemoryLimiter;
pub use service::{Admission, Limits, Refusal, RefusalKind, Window};
pub use settings::{ApiCapability, LimitSettings, LimitsConfig};

use async_trait::async_trait;
use chrono::NaiveDate;

/// A GCRA rate: `per_s` requests a second, with a burst of `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Sustained requests per second.
    pub per_s: u32,
    /// Requests that may come at once after a quiet spell.
    pub burst: u32,
}

/// The answer of a rate check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request is let through (and counted).
    pub allowed: bool,
    /// Requests that could still go through right now.
    pub remaining: u32,
    /// Seconds (rounded up) until the full burst is available again.
    pub reset_s: u64,
    /// Seconds (rounded up, at least 1) to wait before retrying, when refused.
    pub retry_after_s: u64,
}

/// The answer of a quota check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaDecision {
    /// Whether the units were taken (refused: nothing was taken).
    pub allowed: bool,
    /// Units used today, after this call when allowed.
    pub used: u64,
}

/// The limiter could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("limiter unavailable: {0}")]
pub struct LimiterError(pub String);

/// Counting behind the limits: GCRA buckets and daily quota counters by key.
///
/// Keys are built by [`Limits`] from ids and capability codes (never an API key,
/// number or personal field). Implementations must be atomic per call: two
/// nodes checking the same key at once never both take its last unit.
#[async_trait]
pub trait Limiter: Send + Sync + 'static {
    /// Admits `cost` requests on the bucket `key` at `rate`, or refuses them
    /// (refused requests are not counted).
    async fn check_rate(
        &self,
        key: &str,
        rate: Rate,
        cost: u32,
    ) -> Result<RateDecision, LimiterError>;

    /// Takes `n` units of the quota `limit` of `key` for the UTC day `day`, or
    /// takes nothing when they do not fit.
    async fn take_quota(
        &self,
        key: &str,
        day: NaiveDate,
        limit: u64,
        n: u64,
    ) -> Result<QuotaDecision, LimiterError>;

    /// Gives back `n` units taken on `day` (a later check of the same call failed).
    async fn give_back_quota(&self, key: &str, day: NaiveDate, n: u64) -> Result<(), LimiterError>;
}
