//! Send limits, on by default: per phone per window, per tenant and per end-user
//! IP per minute, and the SMS-pumping guard (destination-country allow-list,
//! per-country and per-7-digit-prefix velocity). Admission is a
//! [`super::port::SendAdmission`]: counted from the database (`verify_sends`)
//! by default, in memory on one SQLite node, one atomic Redis script over
//! every limit when Redis is configured.

use chrono::{DateTime, Duration, Utc};

use super::error::VerifyError;
use super::memory::SendWindows;
use super::port::{SendLimit, SendRecord, SendScope};
use super::service::{VerifyService, read_through};

/// Window of the per-prefix limit (`prefix_sends_per_hour`), the longest
/// fixed one.
const PREFIX_WINDOW_S: u64 = 3600;

impl VerifyService {
    /// Refuses a send that would pass a limit; `Ok` when every limit allows it.
    pub(crate) async fn check_limits(
        &self,
        rec: &SendRecord,
        now: DateTime<Utc>,
    ) -> Result<(), VerifyError> {
        let own = read_through(&self.countries_cache, &rec.tenant_id, async {
            Ok(self.store.tenant_countries(&rec.tenant_id).await?)
        })
        .await?;
        let allowed = match own {
            Some(list) => list,
            None => self.cfg.allowed_countries.clone(),
        };
        if !allowed.contains(&rec.country) {
            return Err(VerifyError::CountryBlocked(rec.country.clone()));
        }
        let limits = self.send_limits(rec);
        // Fails closed: unreachable admission is a 503, never an unlimited send.
        if let Some(r) = self.admission.admit_send(rec, &limits, now).await? {
            let l = limits.get(r.index).unwrap_or(&limits[0]);
            let (limit, max, window_s, retry_after) = (l.limit, l.max, l.window_s, r.retry_after);
            metrics::counter!("phoneguard_verify_limited_total", "limit" => limit).increment(1);
            return Err(VerifyError::RateLimited {
                limit,
                retry_after,
                detail: format!(
                    "send limit `{limit}` reached: {max} codes per {window_s} s; retry in {retry_after} s"
                ),
            });
        }
        Ok(())
    }

    /// The longest window of [`Self::send_limits`]: how long send records matter.
    pub(crate) fn longest_send_window(&self) -> Duration {
        Duration::seconds(self.cfg.send_window_s.max(PREFIX_WINDOW_S) as i64)
    }

    /// The limits one send counts against, in the order they are checked.
    pub(crate) fn send_limits(&self, rec: &SendRecord) -> Vec<SendLimit> {
        let c = &self.cfg;
        let mut limits = vec![
            SendLimit {
                limit: "phone",
                scope: SendScope::Phone(rec.phone.clone()),
                max: c.max_sends_per_phone,
                window_s: c.send_window_s,
            },
            SendLimit {
                limit: "tenant",
                scope: SendScope::Tenant,
                max: c.tenant_sends_per_minute,
                window_s: 60,
            },
            SendLimit {
                limit: "country",
                scope: SendScope::Country(rec.country.clone()),
                max: c.country_sends_per_minute,
                window_s: 60,
            },
            SendLimit {
                limit: "prefix",
                scope: SendScope::Prefix(rec.prefix.clone()),
                max: c.prefix_sends_per_hour,
                window_s: PREFIX_WINDOW_S,
            },
        ];
        if let Some(ip) = &rec.ip_hash {
            limits.push(SendLimit {
                limit: "ip",
                scope: SendScope::Ip(ip.clone()),
                max: c.ip_sends_per_minute,
                window_s: 60,
            });
        }
        limits
    }

    /// Seeds `windows` (the in-memory admission of a single node) with the
    /// recorded sends still inside their windows, so a restart forgets no
    /// limit. Returns how many sends were replayed.
    pub async fn seed_send_windows(
        &self,
        windows: &SendWindows,
        now: DateTime<Utc>,
    ) -> Result<u64, VerifyError> {
        let since = now - self.longest_send_window();
        let mut each = |rec: SendRecord| {
            windows.record(&rec.tenant_id, &self.send_limits(&rec), rec.at, now);
        };
        let replayed = self.store.sends_since(since, &mut each).await;
        if replayed.is_err() {
            // The stream may have broken half-way: a retry replays from the
            // start, so what was recorded goes, or it would count twice.
            windows.clear();
        }
        Ok(replayed?)
    }

    /// Refuses a send within `resend_cooldown_s` of the last one: a resend,
    /// or a new start of the same tenant, phone and purpose.
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
