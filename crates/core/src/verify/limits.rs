//! Send limits, on by default: per phone per window, per tenant and per end-user
//! IP per minute, and the SMS-pumping guard (destination-country allow-list,
//! per-country and per-7-digit-prefix velocity). Counts come from the database
//! (`verify_sends`), so they hold across nodes.

use chrono::{DateTime, Duration, Utc};

use super::error::VerifyError;
use super::port::{SendRecord, SendScope};
use super::service::VerifyService;

/// The 7-digit prefix a pumping attack concentrates on, tagged with the country.
pub fn prefix_of(country: &str, national: &str) -> String {
    let p: String = national.chars().take(7).collect();
    format!("{country}:{p}")
}

impl VerifyService {
    /// Refuses a send that would pass a limit; `Ok` when every limit allows it.
    pub(crate) async fn check_limits(
        &self,
        rec: &SendRecord,
        now: DateTime<Utc>,
    ) -> Result<(), VerifyError> {
        let allowed = match self.store.tenant_countries(&rec.tenant_id).await? {
            Some(list) => list,
            None => self.cfg.allowed_countries.clone(),
        };
        if !allowed.contains(&rec.country) {
            return Err(VerifyError::CountryBlocked(rec.country.clone()));
        }
        let c = &self.cfg;
        let mut checks: Vec<(&'static str, SendScope, u32, u64)> = vec![
            (
                "phone",
                SendScope::Phone(rec.phone.clone()),
                c.max_sends_per_phone,
                c.send_window_s,
            ),
            ("tenant", SendScope::Tenant, c.tenant_sends_per_minute, 60),
            (
                "country",
                SendScope::Country(rec.country.clone()),
                c.country_sends_per_minute,
                60,
            ),
            (
                "prefix",
                SendScope::Prefix(rec.prefix.clone()),
                c.prefix_sends_per_hour,
                3600,
            ),
        ];
        if let Some(ip) = &rec.ip_hash {
            checks.push(("ip", SendScope::Ip(ip.clone()), c.ip_sends_per_minute, 60));
        }
        for (limit, scope, max, window_s) in checks {
            let window = Duration::seconds(window_s as i64);
            let n = self
                .store
                .count_sends(&rec.tenant_id, &scope, now - window)
                .await?;
            if n.count >= i64::from(max) {
                let free_at = n.oldest.unwrap_or(now) + window;
                let retry_after = (free_at - now).num_seconds().max(1) as u64;
                metrics::counter!("phoneguard_verify_limited_total", "limit" => limit).increment(1);
                return Err(VerifyError::RateLimited {
                    limit,
                    retry_after,
                    detail: format!(
                        "send limit `{limit}` reached: {max} codes per {window_s} s; retry in {retry_after} s"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Refuses a resend within `resend_cooldown_s` of the last send.
    pub(crate) fn check_cooldown(
        &self,
        last_sent_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), VerifyError> {
        let ready_at = last_sent_at + Duration::seconds(self.cfg.resend_cooldown_s as i64);
        if now < ready_at {
            let retry_after = ((ready_at - now).num_milliseconds() as u64)
                .div_ceil(1000)
                .max(1);
            return Err(VerifyError::RateLimited {
                limit: "resend_cooldown",
                retry_after,
                detail: format!(
                    "a code was sent less than {} s ago; retry in {retry_after} s",
                    self.cfg.resend_cooldown_s
                ),
            });
        }
        Ok(())
    }
}
