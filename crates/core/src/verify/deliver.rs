//! Sending one code (or placing one flash call): choose the supplier with the
//! patent's failover (see [`super::select`]), hand the message over, fall over
//! to the next supplier when one refuses.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use phoneguard_numbering::parse;
use rand::seq::SliceRandom;

use super::code::{Templates, code_hash};
use super::error::VerifyError;
use super::model::{Attempt, Channel, Delivered, Delivery, SendPlan, Verification};
use super::port::{ConversionRow, MessagingRoute, Outbound};
use super::select::{ConversionParams, eligible, rank};
use super::service::VerifyService;
use crate::store::error::StoreError;
use crate::suppliers::{CallRecord, Capability};
use crate::tenants::Principal;

/// Suppliers tried for one send before giving up.
const MAX_TRIES: usize = 3;
/// Time one supplier may take to accept a message.
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(5);

/// `+8610` for `+861012345678`: country code and two national digits.
fn prefix_hint(caller: &str) -> String {
    match parse(caller) {
        Ok(p) => format!(
            "+{}{}",
            p.country_code(),
            p.national().chars().take(2).collect::<String>()
        ),
        Err(_) => caller.chars().take(5).collect(),
    }
}

impl VerifyService {
    /// The channel a request resolves to: `auto` is a flash call when a voice
    /// supplier with a caller pool can take it, else SMS.
    pub(crate) async fn first_channel(
        &self,
        asked: Channel,
        who: &Principal,
        v: &Verification,
    ) -> Result<Channel, VerifyError> {
        if asked != Channel::Auto {
            return Ok(asked);
        }
        let routes = self
            .directory
            .routes()
            .await
            .map_err(|e| VerifyError::SupplierUnavailable(e.to_string()))?;
        let flash = eligible(
            &routes,
            Capability::Voice,
            &v.carrier,
            v.country == "CN",
            who.mode,
        )
        .iter()
        .any(|r| !r.caller_pool.is_empty());
        Ok(if flash {
            Channel::FlashCall
        } else {
            Channel::Sms
        })
    }

    /// [`Self::deliver`], and for `auto` (`asked`) resolved to a flash call
    /// that could not be placed (no caller of any pool free for this phone,
    /// or every voice supplier refused), an SMS code instead.
    pub(crate) async fn deliver_auto(
        &self,
        asked: Channel,
        plan: SendPlan<'_>,
        now: DateTime<Utc>,
    ) -> Result<Delivered, VerifyError> {
        match self.deliver(&plan, now).await {
            Err(VerifyError::SupplierUnavailable(reason))
                if asked == Channel::Auto && plan.channel == Channel::FlashCall =>
            {
                tracing::info!(verification = %plan.v.id, error = %reason,
                    "no flash call placed; auto falls back to SMS");
                let sms = SendPlan {
                    channel: Channel::Sms,
                    ..plan
                };
                self.deliver(&sms, now).await
            }
            other => other,
        }
    }

    /// Chooses suppliers and sends until one accepts.
    pub(crate) async fn deliver(
        &self,
        plan: &SendPlan<'_>,
        now: DateTime<Utc>,
    ) -> Result<Delivered, VerifyError> {
        let v = plan.v;
        let cap = if plan.channel == Channel::Sms {
            Capability::Sms
        } else {
            Capability::Voice
        };
        let routes = self
            .directory
            .routes()
            .await
            .map_err(|e| VerifyError::SupplierUnavailable(e.to_string()))?;
        let mut candidates = eligible(&routes, cap, &v.carrier, v.country == "CN", plan.who.mode);
        if plan.channel == Channel::FlashCall {
            candidates.retain(|r| !r.caller_pool.is_empty());
        }
        if candidates.is_empty() {
            return Err(VerifyError::SupplierUnavailable(format!(
                "no enabled supplier can send {} to this number{}",
                plan.channel.as_str(),
                if plan.who.mode == crate::KeyMode::Test {
                    " with a test key (sandbox suppliers only)"
                } else {
                    ""
                }
            )));
        }
        let excluded = self
            .excluded_suppliers(&v.tenant_id, &v.terminal_key, now)
            .await;
        let conversion = self.conversion(&v.carrier, now).await?;
        let params = ConversionParams {
            floor: self.cfg.conversion_floor,
            prior: self.cfg.conversion_prior,
            prior_weight: self.cfg.conversion_prior_weight,
        };
        let ranking = rank(candidates, &excluded, &conversion, &params);
        if ranking.start_over {
            self.clear_exclusions(&v.tenant_id, &v.terminal_key).await;
        }
        let ttl = Duration::seconds(self.cfg.failover_ttl_s as i64);
        let templates = match plan.channel {
            Channel::FlashCall => None,
            _ => {
                let own = self.send_templates(&v.tenant_id).await?;
                let named = match (plan.app_name, &self.app_names) {
                    (Some(given), _) => Some(given.to_string()),
                    (None, Some(n)) => n.app_name(&v.tenant_id, &v.purpose).await,
                    (None, None) => None,
                };
                match (own, named) {
                    (own, Some(name)) => {
                        let mut t = own.unwrap_or_default();
                        t.app_name = Some(name);
                        Some(self.templates.for_tenant(&t))
                    }
                    (own, None) => own.map(|t| self.templates.for_tenant(&t)),
                }
            }
        };
        let templates = templates.as_ref().unwrap_or(&self.templates);
        let mut last = String::from("no supplier accepted the message");
        for route in ranking.order.iter().take(MAX_TRIES) {
            let caller = match plan.channel {
                Channel::FlashCall => match self.reserve_caller(route, v, now).await? {
                    Some(c) => Some(c),
                    None => continue,
                },
                _ => None,
            };
            let msg = self.outbound(plan, templates, caller.clone());
            let started = std::time::Instant::now();
            let res = tokio::time::timeout(SEND_TIMEOUT, route.sender.send(&msg)).await;
            let outcome = match &res {
                Ok(Ok(_)) => "ok",
                Ok(Err(e)) => e.outcome(),
                Err(_) => "timeout",
            };
            self.record_call(route, v, cap, outcome, now, started.elapsed());
            metrics::counter!("phoneguard_verify_sends_total", "supplier" => route.config.id.clone(),
                "channel" => plan.channel.as_str(), "outcome" => outcome).increment(1);
            match res {
                Ok(Ok(accepted)) => {
                    let flash = caller.as_ref().map(|c| {
                        (
                            now + Duration::seconds(self.cfg.flash_call_window_s as i64),
                            prefix_hint(c),
                        )
                    });
                    let secret = caller.unwrap_or_else(|| plan.code.clone());
                    tracing::info!(verification = %v.id, phone = %phoneguard_numbering::mask(&v.phone),
                        supplier = %route.config.id, channel = plan.channel.as_str(), "code sent");
                    return Ok(Delivered {
                        attempt: Attempt {
                            seq: plan.seq,
                            channel: plan.channel,
                            supplier: route.config.id.clone(),
                            sent_at: now,
                            delivery: Delivery::Sent,
                            message_ref: accepted.message_ref,
                            carrier: v.carrier.clone(),
                        },
                        code_hash: code_hash(&self.hash_key, &v.id, &secret),
                        secret,
                        flash,
                    });
                }
                Ok(Err(e)) => last = format!("{}: {e}", route.config.id),
                Err(_) => last = format!("{}: timed out", route.config.id),
            }
            tracing::warn!(verification = %v.id, supplier = %route.config.id, error = %last, "send failed; trying the next supplier");
            // A refused send is a code that did not arrive: exclude at once.
            self.exclude_supplier(
                &v.tenant_id,
                &v.terminal_key,
                &route.config.id,
                now + ttl,
                now,
            )
            .await;
            self.free_callers(&v.id).await;
        }
        Err(VerifyError::SupplierUnavailable(last))
    }

    /// A send as a supplier call (see [`VerifyService::with_call_log`]).
    fn record_call(
        &self,
        route: &MessagingRoute,
        v: &Verification,
        capability: Capability,
        outcome: &str,
        at: DateTime<Utc>,
        latency: std::time::Duration,
    ) {
        let Some(calls) = &self.calls else { return };
        calls.record(CallRecord {
            at,
            tenant_id: v.tenant_id.clone(),
            supplier_id: route.config.id.clone(),
            capability,
            outcome: outcome.to_string(),
            latency_us: i64::try_from(latency.as_micros()).unwrap_or(i64::MAX),
            price_milli: if outcome == "ok" {
                i64::from(route.config.price_milli)
            } else {
                0
            },
        });
    }

    /// Codes sent and entered per supplier for a carrier over the conversion
    /// window, cached for [`super::service::CONVERSION_TTL`].
    async fn conversion(
        &self,
        carrier: &str,
        now: DateTime<Utc>,
    ) -> Result<std::sync::Arc<Vec<ConversionRow>>, VerifyError> {
        let since = now - Duration::seconds(self.cfg.conversion_window_s as i64);
        super::service::read_through(&self.conversion_cache, carrier, async {
            Ok(std::sync::Arc::new(
                self.store
                    .conversion(carrier, since, super::port::CONVERSION_SAMPLE)
                    .await?,
            ))
        })
        .await
    }

    fn outbound(
        &self,
        plan: &SendPlan<'_>,
        templates: &Templates,
        caller: Option<String>,
    ) -> Outbound {
        let v = plan.v;
        let ttl_min = self.cfg.code_ttl_s.div_ceil(60);
        let text = match plan.channel {
            Channel::Sms => templates.sms(&v.locale, &plan.code, ttl_min, v.app_hash.as_deref()),
            Channel::Voice => templates.voice(&v.locale, &plan.code, ttl_min),
            _ => String::new(),
        };
        Outbound {
            tenant_id: v.tenant_id.clone(),
            verification_id: v.id.clone(),
            to: v.phone.clone(),
            channel: plan.channel,
            text,
            code: if caller.is_some() {
                String::new()
            } else {
                plan.code.clone()
            },
            ttl_min,
            locale: v.locale.clone(),
            caller,
        }
    }

    /// A caller number of the supplier's pool, at random, that no other
    /// pending flash call **to the same phone of the same tenant** holds
    /// (reserved in the hot state until the call's window ends: a report after
    /// it is refused, so the number is free again).
    ///
    /// Why per (tenant, phone) and not per pool:
    /// - a report names one verification, and is matched only against *that*
    ///   verification's caller (its code hash is bound to its id), so two
    ///   calls of one caller to two phones are never ambiguous;
    /// - a pool-wide reservation let one tenant hold every caller (five flash
    ///   calls of tenant B made every flash call of tenant A a 503), and
    ///   worse, let anyone narrow a victim's caller down: hold all but one
    ///   caller with calls to one's own phones (seeing each caller), start the
    ///   victim's call, and its caller is the one left. Keyed by the
    ///   destination, only calls to the victim's own phone (whose callers the
    ///   attacker never sees) can take callers away from its flash call;
    /// - what remains reserved is what the device needs: two pending flash
    ///   calls to one phone (another purpose, a resend) never come from one
    ///   number.
    ///
    /// Each tenant thus has the whole pool for each of its phones; `auto`
    /// falls back to SMS when no caller is free (see [`Self::deliver_auto`]).
    async fn reserve_caller(
        &self,
        route: &MessagingRoute,
        v: &Verification,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, VerifyError> {
        let phone_key = self.hash_key.hash(
            "flash_callers",
            &format!("{}\u{1f}{}", v.tenant_id, v.phone),
        );
        let mut pool = route.caller_pool.clone();
        pool.shuffle(&mut rand::rng());
        let until = now + Duration::seconds(self.cfg.flash_call_window_s as i64);
        for caller in pool {
            if self
                .hot
                .reserve_caller(&route.config.id, &phone_key, &caller, &v.id, until, now)
                .await?
            {
                return Ok(Some(caller));
            }
        }
        Ok(None)
    }
}

/// The service's use of the hot state, with the failure policy of
/// [`super::port`]'s docs.
impl VerifyService {
    fn hot_state_error(op: &'static str, e: &StoreError) {
        metrics::counter!("phoneguard_verify_hot_state_errors_total", "op" => op).increment(1);
        tracing::warn!(error = %e, op, "verification hot state unavailable; degrading");
    }

    /// Suppliers excluded for a terminal; none when the state is unreachable.
    pub(crate) async fn excluded_suppliers(
        &self,
        tenant_id: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        match self.hot.failover_suppliers(tenant_id, key, now).await {
            Ok(v) => v,
            Err(e) => {
                Self::hot_state_error("failover_read", &e);
                Vec::new()
            }
        }
    }

    /// Excludes a supplier for a terminal until `until` (dropped when unreachable).
    pub(crate) async fn exclude_supplier(
        &self,
        tenant_id: &str,
        key: &str,
        supplier_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        if let Err(e) = self
            .hot
            .add_failover(tenant_id, key, supplier_id, until, now)
            .await
        {
            Self::hot_state_error("failover_write", &e);
        }
    }

    /// Forgets a terminal's exclusions (every supplier was tried).
    pub(crate) async fn clear_exclusions(&self, tenant_id: &str, key: &str) {
        if let Err(e) = self.hot.clear_failover(tenant_id, key).await {
            Self::hot_state_error("failover_clear", &e);
        }
    }

    /// Forgets an approved verification's exclusions and callers (left to
    /// their TTLs when unreachable).
    pub(crate) async fn forget_approved(&self, v: &Verification) {
        if let Err(e) = self
            .hot
            .on_approved(&v.tenant_id, &v.terminal_key, &v.id)
            .await
        {
            Self::hot_state_error("approved_clear", &e);
        }
    }

    /// Frees a verification's caller numbers (left to their TTL when unreachable).
    pub(crate) async fn free_callers(&self, verification_id: &str) {
        if let Err(e) = self.hot.release_callers(verification_id).await {
            Self::hot_state_error("callers_release", &e);
        }
    }
}
