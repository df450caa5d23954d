//! The [`Limiter`] port: the counting behind the limits.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::model::{QuotaDecision, Rate, RateDecision};

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
