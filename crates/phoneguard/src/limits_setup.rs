//! Rate limits, quotas and usage metering: which limiter backs them, and the
//! periodic (and final) writing of usage counts.
//!
//! With `redis_url` set (`PHONEGUARD_REDIS_URL`), rate limits and daily quotas
//! are counted on Redis, so several nodes share them; without, in process
//! (`governor`), right for one node. Usage counts are kept in memory and added
//! to the database every [`FLUSH_EVERY`] and once more at shutdown, after the
//! last request is answered.

use std::sync::Arc;
use std::time::Duration;

use phoneguard_core::Store;
use phoneguard_core::limits::{Limiter, Limits, MemoryLimiter};
use phoneguard_core::ops::UsageMeter;
use secrecy::ExposeSecret;

use crate::config::Config;

/// How often usage counts are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// The limits (on Redis or in process) and the usage meter.
pub fn build(
    config: &Config,
    store: Arc<dyn Store>,
) -> anyhow::Result<(Arc<Limits>, Arc<UsageMeter>)> {
    let limiter: Arc<dyn Limiter> = match config.redis_url.as_ref().map(|u| u.expose_secret()) {
        Some(url) => Arc::new(
            phoneguard_counters::RedisLimiter::new(
                url,
                phoneguard_counters::RedisLimiterConfig::default(),
            )
            .map_err(|e| anyhow::anyhow!("config key `redis_url`: {e}"))?,
        ),
        None => Arc::new(MemoryLimiter::default()),
    };
    let limits = Arc::new(Limits::new(limiter, store.clone(), config.limits.clone()));
    Ok((limits, Arc::new(UsageMeter::new(store))))
}

/// Writes usage counts every [`FLUSH_EVERY`] (a failed write keeps them for the next).
pub fn spawn_flush(usage: Arc<UsageMeter>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = usage.flush().await {
                tracing::warn!(error = %e, "usage counts not written; retrying");
            }
        }
    })
}

/// The last write at shutdown: a few tries, so a brief database hiccup loses nothing.
pub async fn final_flush(usage: &UsageMeter) {
    for attempt in 0..5 {
        match usage.flush().await {
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, attempt, "usage counts not written at shutdown");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    tracing::error!("usage counts of this run's last seconds are lost");
}
