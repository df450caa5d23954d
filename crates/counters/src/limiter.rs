//! [`RedisLimiter`]: the rate limits and daily quotas of every node of a
//! deployment, on one Redis.
//!
//! Rate limits are GCRA, one Lua script per check (atomic, on Redis' clock);
//! a bucket is one key `{prefix}:rl:{bucket}` holding its theoretical arrival
//! time, expiring when the bucket is full again. Quotas are one counter per key
//! and UTC day, `{prefix}:quota:{key}:{YYYYMMDD}`, taken by a script that never
//! goes past the limit, expiring two days later, and given back by a script
//! that only lowers a counter that still exists, never below 0, keeping its TTL
//! (a bare DECRBY would recreate an expired counter, negative and without a
//! TTL). Buckets and keys are built from tenant and key ids and capability
//! codes only.

use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use phoneguard_core::limits::{Limiter, LimiterError, QuotaDecision, Rate, RateDecision};
use redis::{Client, Script};

use crate::conn::Conn;

/// Seconds a quota counter lives: its day and the next (clocks of nodes differ).
const QUOTA_TTL_S: u64 = 2 * 86_400;

/// Settings of a [`RedisLimiter`].
#[derive(Debug, Clone)]
pub struct RedisLimiterConfig {
    /// Prefix of every key (one per deployment sharing a Redis).
    pub prefix: String,
    /// How long one round trip may take before the limiter counts as down.
    pub response_timeout: Duration,
    /// How long connecting may take.
    pub connection_timeout: Duration,
}

impl Default for RedisLimiterConfig {
    fn default() -> Self {
        RedisLimiterConfig {
            prefix: "phoneguard".into(),
            response_timeout: Duration::from_millis(250),
            connection_timeout: Duration::from_secs(1),
        }
    }
}

/// [`Limiter`] on Redis, shared by every node of a deployment.
pub struct RedisLimiter {
    prefix: String,
    gcra: Script,
    quota: Script,
    give_back: Script,
    conn: Conn,
}

/// Whole seconds of a count of microseconds, rounded up.
fn ceil_s(us: i64) -> u64 {
    u64::try_from(us.max(0)).unwrap_or(0).div_ceil(1_000_000)
}

impl RedisLimiter {
    /// A limiter at `url` (`redis://HOST:PORT[/DB]`). Only checks the URL: the
    /// connection is made on first use.
    pub fn new(url: &str, config: RedisLimiterConfig) -> Result<Self, LimiterError> {
        let client = Client::open(url).map_err(|e| LimiterError(format!("redis_url: {e}")))?;
        Ok(RedisLimiter {
            prefix: config.prefix,
            gcra: Script::new(include_str!("lua/gcra.lua")),
            quota: Script::new(include_str!("lua/quota.lua")),
            give_back: Script::new(include_str!("lua/give_back.lua")),
            conn: Conn::new(
                client,
                "limiter",
                config.response_timeout,
                config.connection_timeout,
            ),
        })
    }

    /// The Redis key of a rate bucket.
    pub fn bucket_key(&self, bucket: &str) -> String {
        format!("{}:rl:{bucket}", self.prefix)
    }

    /// The Redis key of a quota counter on `day`.
    pub fn quota_key(&self, key: &str, day: NaiveDate) -> String {
        format!("{}:quota:{key}:{}", self.prefix, day.format("%Y%m%d"))
    }

    async fn one<T: redis::FromRedisValue>(
        &self,
        call: &redis::ScriptInvocation<'_>,
        script: &Script,
    ) -> Result<T, LimiterError> {
        let mut pipe = redis::pipe();
        pipe.invoke_script(call);
        let (reply,): (T,) = self
            .conn
            .run(&pipe, &[script])
            .await
            .map_err(LimiterError)?;
        Ok(reply)
    }
}

#[async_trait]
impl Limiter for RedisLimiter {
    async fn check_rate(
        &self,
        bucket: &str,
        rate: Rate,
        cost: u32,
    ) -> Result<RateDecision, LimiterError> {
        let interval = (1_000_000 / u64::from(rate.per_s.max(1))).max(1);
        let mut call = self.gcra.key(self.bucket_key(bucket));
        call.arg(interval).arg(rate.burst.max(1)).arg(cost.max(1));
        let reply: Vec<i64> = self.one(&call, &self.gcra).await?;
        let [allowed, remaining, full_us, wait_us] = reply[..] else {
            return Err(LimiterError(format!("unexpected GCRA reply {reply:?}")));
        };
        Ok(RateDecision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
            reset_s: ceil_s(full_us),
            retry_after_s: if allowed == 1 {
                0
            } else {
                ceil_s(wait_us).max(1)
            },
        })
    }

    async fn take_quota(
        &self,
        key: &str,
        day: NaiveDate,
        limit: u64,
        n: u64,
    ) -> Result<QuotaDecision, LimiterError> {
        let mut call = self.quota.key(self.quota_key(key, day));
        call.arg(limit).arg(n).arg(QUOTA_TTL_S);
        let reply: Vec<i64> = self.one(&call, &self.quota).await?;
        let [taken, used] = reply[..] else {
            return Err(LimiterError(format!("unexpected quota reply {reply:?}")));
        };
        Ok(QuotaDecision {
            allowed: taken == 1,
            used: u64::try_from(used.max(0)).unwrap_or(0),
        })
    }

    async fn give_back_quota(&self, key: &str, day: NaiveDate, n: u64) -> Result<(), LimiterError> {
        let mut call = self.give_back.key(self.quota_key(key, day));
        call.arg(n);
        let _used: i64 = self.one(&call, &self.give_back).await?;
        Ok(())
    }
}
