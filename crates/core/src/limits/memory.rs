//! [`MemoryLimiter`]: GCRA buckets from `governor` and quota counters in
//! process. Right for one node; several nodes need the Redis limiter, or each
//! would allow the full rate and quota on its own.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use moka::sync::Cache;

use super::model::{QuotaDecision, Rate, RateDecision};
use super::port::{Limiter, LimiterError};

type Gcra = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// One bucket and the rate it was made for (a changed rate makes a new one).
struct Bucket {
    rate: Rate,
    gcra: Gcra,
}

/// In-process [`Limiter`].
pub struct MemoryLimiter {
    buckets: Cache<String, Arc<Bucket>>,
    quotas: Mutex<HashMap<String, (NaiveDate, u64)>>,
    clock: DefaultClock,
}

impl Default for MemoryLimiter {
    fn default() -> Self {
        MemoryLimiter {
            // An idle bucket is full again within a second; ten minutes is plenty.
            buckets: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_idle(Duration::from_secs(600))
                .build(),
            quotas: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// Whole seconds, rounded up.
fn ceil_s(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl MemoryLimiter {
    fn bucket(&self, key: &str, rate: Rate) -> Arc<Bucket> {
        if let Some(b) = self.buckets.get(key)
            && b.rate == rate
        {
            return b;
        }
        let quota = Quota::per_second(nonzero(rate.per_s)).allow_burst(nonzero(rate.burst));
        let bucket = Arc::new(Bucket {
            rate,
            gcra: RateLimiter::direct_with_clock(quota, self.clock.clone())
                .with_middleware::<StateInformationMiddleware>(),
        });
        self.buckets.insert(key.to_string(), bucket.clone());
        bucket
    }
}

#[async_trait]
impl Limiter for MemoryLimiter {
    async fn check_rate(
        &self,
        key: &str,
        rate: Rate,
        cost: u32,
    ) -> Result<RateDecision, LimiterError> {
        let bucket = self.bucket(key, rate);
        let per_token = Duration::from_secs(1) / rate.per_s.max(1);
        match bucket.gcra.check_n(nonzero(cost)) {
            Ok(Ok(snapshot)) => {
                let remaining = snapshot.remaining_burst_capacity();
                let missing = rate.burst.saturating_sub(remaining);
                Ok(RateDecision {
                    allowed: true,
                    remaining,
                    reset_s: ceil_s(per_token * missing),
                    retry_after_s: 0,
                })
            }
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Ok(RateDecision {
                    allowed: false,
                    remaining: 0,
                    reset_s: ceil_s(per_token * rate.burst),
                    retry_after_s: ceil_s(wait).max(1),
                })
            }
            // More than the burst at once can never go through.
            Err(_) => Ok(RateDecision {
                allowed: false,
                remaining: 0,
                reset_s: ceil_s(per_token * rate.burst),
                retry_after_s: ceil_s(per_token * rate.burst).max(1),
            }),
        }
    }

    async fn take_quota(
        &self,
        key: &str,
        day: NaiveDate,
        limit: u64,
        n: u64,
    ) -> Result<QuotaDecision, LimiterError> {
        let mut quotas = self
            .quotas
            .lock()
            .map_err(|_| LimiterError("quota counters poisoned".into()))?;
        let entry = quotas.entry(key.to_string()).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        if entry.1.saturating_add(n) > limit {
            return Ok(QuotaDecision {
                allowed: false,
                used: entry.1,
            });
        }
        entry.1 += n;
        Ok(QuotaDecision {
            allowed: true,
            used: entry.1,
        })
    }

    async fn give_back_quota(&self, key: &str, day: NaiveDate, n: u64) -> Result<(), LimiterError> {
        let mut quotas = self
            .quotas
            .lock()
            .map_err(|_| LimiterError("quota counters poisoned".into()))?;
        if let Some(entry) = quotas.get_mut(key)
            && entry.0 == day
        {
            entry.1 = entry.1.saturating_sub(n);
        }
        Ok(())
    }
}
