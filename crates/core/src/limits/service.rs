//! [`Limits`]: the decision for one call — the key's and the tenant's rate
//! limits, then their daily quotas — with the figures for the `RateLimit-*`
//! headers.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use moka::future::Cache;

use super::model::Rate;
use super::port::Limiter;
use super::settings::{ApiCapability, LimitSettings, LimitsConfig};
use crate::ops::OpsStore;
use crate::store::error::StoreResult;
use crate::tenants::Principal;

/// The figures of the most constraining limit a call met (`RateLimit-Limit`,
/// `RateLimit-Remaining`, `RateLimit-Reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Requests (rate: the burst) or calls (quota: per day) allowed.
    pub limit: u64,
    /// How many are left.
    pub remaining: u64,
    /// Seconds until the window is whole again.
    pub reset_s: u64,
}

/// A call that may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Admission {
    /// The most constraining limit, when any applies.
    pub window: Option<Window>,
}

/// Which kind of limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Too many requests per second (`rate_limited`).
    Rate,
    /// The daily quota is used up (`quota_exceeded`).
    Quota,
}

/// A call that may not go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Rate or quota.
    pub kind: RefusalKind,
    /// `key` or `tenant`: whose limit it was.
    pub scope: &'static str,
    /// The capability limited.
    pub capability: ApiCapability,
    /// Seconds to wait (`Retry-After`).
    pub retry_after_s: u64,
    /// The limit met.
    pub window: Window,
}

/// Rate limits and quotas of every tenant and key.
pub struct Limits {
    limiter: Arc<dyn Limiter>,
    store: Arc<dyn OpsStore>,
    defaults: LimitsConfig,
    cache: Cache<String, Arc<LimitSettings>>,
}

/// Seconds from `now` to the next UTC midnight (when daily quotas start over).
fn to_midnight(now: DateTime<Utc>) -> u64 {
    let next = now.date_naive().succ_opt().unwrap_or(NaiveDate::MAX);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    u64::try_from((midnight - now).num_seconds())
        .unwrap_or(0)
        .max(1)
}

impl Limits {
    /// Limits counted by `limiter`, settings read from `store`, `defaults` for
    /// tenants without settings of their own.
    pub fn new(
        limiter: Arc<dyn Limiter>,
        store: Arc<dyn OpsStore>,
        defaults: LimitsConfig,
    ) -> Self {
        let cache = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(defaults.settings_ttl_s.max(1)))
            .build();
        Limits {
            limiter,
            store,
            defaults,
            cache,
        }
    }

    /// The `[limits]` defaults.
    pub fn defaults(&self) -> &LimitsConfig {
        &self.defaults
    }

    /// The settings of a tenant or key (by id); empty when none are stored.
    pub async fn settings(&self, subject_id: &str) -> StoreResult<Arc<LimitSettings>> {
        if let Some(hit) = self.cache.get(subject_id).await {
            return Ok(hit);
        }
        let found = Arc::new(self.store.get_limits(subject_id).await?.unwrap_or_default());
        self.cache
            .insert(subject_id.to_string(), found.clone())
            .await;
        Ok(found)
    }

    /// Replaces the settings of a tenant or key; applies on this node at once,
    /// on others within `limits.settings_ttl_s`.
    pub async fn put_settings(
        &self,
        subject_id: &str,
        settings: &LimitSettings,
    ) -> StoreResult<()> {
        self.store
            .put_limits(subject_id, settings, Utc::now())
            .await?;
        self.cache.invalidate(subject_id).await;
        Ok(())
    }

    /// Settings that failed to load count as empty (the call is not held up by
    /// a database hiccup); the failure is logged.
    async fn settings_or_empty(&self, subject_id: &str) -> Arc<LimitSettings> {
        match self.settings(subject_id).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "limit settings unavailable; not limiting");
                Arc::default()
            }
        }
    }

    /// Decides whether `who` may make a call of `cap` worth `units` quota units
    /// (a batch of n numbers is n units, one request for the rate) at `now`.
    /// The limiter being unreachable lets the call through (logged, counted in
    /// `phoneguard_limiter_errors_total`).
    pub async fn admit(
        &self,
        who: &Principal,
        cap: ApiCapability,
        units: u64,
        now: DateTime<Utc>,
    ) -> Result<Admission, Refusal> {
        let key = self.settings_or_empty(&who.key_id).await;
        let tenant = self.settings_or_empty(&who.tenant_id).await;
        let c = cap.as_str();
        let key_rate = key.rate(cap).flatten();
        let tenant_rate = tenant
            .rate(cap)
            .unwrap_or_else(|| self.defaults.rate_per_s.get(&cap).copied());
        let key_quota = key.quota(cap).flatten();
        let tenant_quota = tenant
            .quota(cap)
            .unwrap_or_else(|| self.defaults.daily_quota.get(&cap).copied());
        let mut windows: Vec<Window> = vec![];
        let limits = [
            ("key", format!("k:{}:{c}", who.key_id), key_rate),
            ("tenant", format!("t:{}:{c}", who.tenant_id), tenant_rate),
        ];
        for (scope, bucket, rate) in limits {
            let Some(per_s) = rate else { continue };
            let rate = Rate {
                per_s,
                burst: per_s,
            };
            match self.limiter.check_rate(&bucket, rate, 1).await {
                Ok(d) => {
                    let window = Window {
                        limit: u64::from(rate.burst),
                        remaining: u64::from(d.remaining),
                        reset_s: d.reset_s,
                    };
                    if !d.allowed {
                        return Err(Refusal {
                            kind: RefusalKind::Rate,
                            scope,
                            capability: cap,
                            retry_after_s: d.retry_after_s,
                            window,
                        });
                    }
                    windows.push(window);
                }
                Err(e) => limiter_down(&e),
            }
        }
        let day = now.date_naive();
        let reset_s = to_midnight(now);
        let mut taken: Vec<String> = vec![];
        let quotas = [
            ("key", format!("k:{}:{c}", who.key_id), key_quota),
            ("tenant", format!("t:{}:{c}", who.tenant_id), tenant_quota),
        ];
        for (scope, counter, quota) in quotas {
            let Some(limit) = quota else { continue };
            match self.limiter.take_quota(&counter, day, limit, units).await {
                Ok(d) if d.allowed => {
                    windows.push(Window {
                        limit,
                        remaining: limit.saturating_sub(d.used),
                        reset_s,
                    });
                    taken.push(counter);
                }
                Ok(d) => {
                    for counter in &taken {
                        if let Err(e) = self.limiter.give_back_quota(counter, day, units).await {
                            limiter_down(&e);
                        }
                    }
                    return Err(Refusal {
                        kind: RefusalKind::Quota,
                        scope,
                        capability: cap,
                        retry_after_s: reset_s,
                        window: Window {
                            limit,
                            remaining: limit.saturating_sub(d.used),
                            reset_s,
                        },
                    });
                }
                Err(e) => limiter_down(&e),
            }
        }
        Ok(Admission {
            window: windows.into_iter().min_by_key(|w| w.remaining),
        })
    }
}

fn limiter_down(e: &super::port::LimiterError) {
    metrics::counter!("phoneguard_limiter_errors_total").increment(1);
    tracing::warn!(error = %e, "limiter unavailable; letting the call through");
}
