//! The verification service: start (sending); see `resend.rs` for resends
//! and `check.rs` for checks, reports, cancel and receipts.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use phoneguard_numbering::{NumberTable, lookup};

use super::code::{Templates, code_hash, is_app_hash, new_code, normalize_locale};
use super::error::VerifyError;
use super::fresh::FreshCache;
use super::model::{Channel, Delivered, SendPlan, Status, Verification, prefix_of};
use super::outbox::Outbox;
use super::port::{
    CodeHasher, MessagingDirectory, SendAdmission, SendRecord, TerminalAttempt, VerifyHotState,
    VerifyStore,
};
use super::settings::VerifyConfig;
use crate::ids::new_id;
use crate::secrets::HashKey;
use crate::tenants::Principal;

/// `POST /v1/verifications`, validated by the service.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    /// The phone in any usual form.
    pub phone: String,
    /// `sms`, `voice`, `flash_call` or `auto`.
    pub channel: Option<Channel>,
    /// Business type.
    pub purpose: String,
    /// The terminal, when the app knows it.
    pub device_id: Option<String>,
    /// `zh-CN` (default) or `en`.
    pub locale: Option<String>,
    /// 4–10, default 6.
    pub code_length: Option<u32>,
    /// Android SMS Retriever app hash.
    pub app_hash: Option<String>,
    /// The end user's IP (per-IP limit).
    pub ip: Option<String>,
    /// The carrier exchange, for `carrier` (required) and `auto` (optional).
    pub carrier: Option<super::carrier::CarrierStep>,
    /// The app name of this message, before the tenant's and the purpose's
    /// (a Twilio create's `CustomFriendlyName`).
    pub app_name: Option<String>,
    /// Twilio's rule instead of `/v1`'s: a pending, unexpired verification
    /// of this tenant, phone and purpose gets this code (a resend of the same
    /// id, counted as a send like any resend) instead of being canceled by a
    /// new one. Decided by the one write of the start, with no read before
    /// it (see [`VerifyStore::insert_or_resend`]).
    pub resend_pending: bool,
}

/// Verification service: codes, failover, limits, flash calls.
pub struct VerifyService {
    pub(crate) store: Arc<dyn VerifyStore>,
    pub(crate) hot: Arc<dyn VerifyHotState>,
    pub(crate) admission: Arc<dyn SendAdmission>,
    pub(crate) directory: Arc<dyn MessagingDirectory>,
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) hash_key: HashKey,
    pub(crate) cfg: VerifyConfig,
    pub(crate) templates: Templates,
    pub(crate) table: &'static NumberTable,
    /// Conversion per carrier, read at most every [`CONVERSION_TTL`].
    pub(crate) conversion_cache: ConversionCache,
    /// Per-tenant destination countries and message texts as stored, read at
    /// most every [`TENANT_SETTINGS_TTL`] on the send path.
    pub(crate) countries_cache: FreshCache<Option<Vec<String>>>,
    pub(crate) templates_cache: FreshCache<Option<String>>,
    /// Where sends are recorded as supplier calls (none: not recorded).
    pub(crate) calls: Option<Arc<dyn crate::suppliers::CallLog>>,
    /// App names by purpose (Twilio Verify services), when set.
    pub(crate) app_names: Option<Arc<dyn super::port::AppNames>>,
}

/// How long a tenant's own destination countries and message texts are reused
/// by sends. They were two reads of every start; an operator's change takes
/// effect at once on the node that made it (its cache entry is dropped) and
/// within this time on the others.
pub(crate) const TENANT_SETTINGS_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The cached value of `key`, or `load`ed and cached (errors are not cached;
/// an expired value is reloaded by one caller while the others keep it: see
/// [`super::fresh`]).
pub(crate) async fn read_through<V: Clone + Send + Sync + 'static>(
    cache: &FreshCache<V>,
    key: &str,
    load: impl std::future::Future<Output = Result<V, VerifyError>>,
) -> Result<V, VerifyError> {
    cache.get(key, load).await
}

/// How long a carrier's conversion figures are reused. They weigh suppliers by
/// a day of sends; re-reading them for every code was one aggregate over all of
/// that day's attempts per start.
pub(crate) const CONVERSION_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// Carrier → conversion rows, each kept [`CONVERSION_TTL`].
pub(crate) type ConversionCache = FreshCache<Arc<Vec<super::port::ConversionRow>>>;

pub(crate) fn text_field(field: &'static str, v: &str, max: usize) -> Result<(), VerifyError> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(VerifyError::invalid(
            field,
            format!("{field} must be 1 to {max} printable characters"),
        ));
    }
    Ok(())
}

impl VerifyService {
    /// Builds the service, with failover mappings, caller reservations and
    /// send admission kept in `store` until [`Self::with_hot_state`] and
    /// [`Self::with_admission`] say otherwise.
    pub fn new(
        store: Arc<dyn VerifyStore>,
        directory: Arc<dyn MessagingDirectory>,
        outbox: Arc<Outbox>,
        hash_key: HashKey,
        cfg: VerifyConfig,
        table: &'static NumberTable,
    ) -> Self {
        let templates = Templates::new(&cfg.app_name, cfg.templates.clone());
        VerifyService {
            hot: store.clone(),
            admission: Arc::new(store.clone()),
            store,
            directory,
            outbox,
            hash_key,
            cfg,
            templates,
            table,
            conversion_cache: FreshCache::new(64, CONVERSION_TTL),
            countries_cache: FreshCache::new(10_000, TENANT_SETTINGS_TTL),
            templates_cache: FreshCache::new(10_000, TENANT_SETTINGS_TTL),
            calls: None,
            app_names: None,
        }
    }

    /// Records every send (accepted or not) in `calls`, as a supplier call of
    /// capability `sms` or `voice` with its outcome, latency and price, so
    /// messaging suppliers count in the supplier statistics and in usage like
    /// every other supplier.
    #[must_use]
    pub fn with_call_log(mut self, calls: Arc<dyn crate::suppliers::CallLog>) -> Self {
        self.calls = Some(calls);
        self
    }

    /// Asks `names` for the app name of a verification's messages by its purpose.
    #[must_use]
    pub fn with_app_names(mut self, names: Arc<dyn super::port::AppNames>) -> Self {
        self.app_names = Some(names);
        self
    }

    /// Keeps failover mappings and caller reservations in `hot` (Redis, for
    /// several nodes) instead of the database.
    #[must_use]
    pub fn with_hot_state(mut self, hot: Arc<dyn VerifyHotState>) -> Self {
        self.hot = hot;
        self
    }

    /// Checks send limits with `admission` (Redis for several nodes, memory
    /// for one) instead of counting database rows.
    #[must_use]
    pub fn with_admission(mut self, admission: Arc<dyn SendAdmission>) -> Self {
        self.admission = admission;
        self
    }

    /// The sandbox outbox and call log.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// The durable store.
    pub fn store(&self) -> &Arc<dyn VerifyStore> {
        &self.store
    }

    /// A messaging supplier by id, as currently configured.
    pub async fn route(&self, supplier_id: &str) -> Option<Arc<super::port::MessagingRoute>> {
        let routes = self.directory.routes().await.ok()?;
        routes.iter().find(|r| r.config.id == supplier_id).cloned()
    }

    /// The keyed hash of an end user's IP address: a v4 address (`::ffff:…`
    /// spellings of one count together), or the v6 network of
    /// `ipv6_prefix_len` bits it is in (one subscriber gets a whole /64, so
    /// counting single v6 addresses would limit nothing); a value that is not
    /// an address is a 422 naming `ip`.
    pub(super) fn ip_hash(&self, ip: Option<&str>) -> Result<Option<String>, VerifyError> {
        let Some(raw) = ip else { return Ok(None) };
        let addr: std::net::IpAddr = raw.trim().parse().map_err(|_| {
            VerifyError::invalid(
                "ip",
                "not an IPv4 or IPv6 address, e.g. 203.0.113.7 or 2001:db8::1",
            )
        })?;
        // `2001:db8:1:2::/64`; a full-length prefix keeps the address as it is.
        let len = self.cfg.ipv6_prefix_len;
        let counted = match crate::net::counted_network(addr, len) {
            std::net::IpAddr::V6(net) if len < 128 => format!("{net}/{len}"),
            other => other.to_string(),
        };
        Ok(Some(self.hash_key.hash("ip", &counted)))
    }

    /// The key that signs delivery receipts of a supplier (hex), to configure at the vendor.
    pub fn receipt_secret(&self, supplier_id: &str) -> String {
        self.hash_key.hash("receipt", supplier_id)
    }

    pub(crate) fn ttl(&self) -> Duration {
        Duration::seconds(self.cfg.code_ttl_s as i64)
    }

    /// Starts a verification: limits, failover choice, code, send, commit.
    pub async fn start(
        &self,
        who: &Principal,
        req: StartRequest,
    ) -> Result<Verification, VerifyError> {
        text_field("purpose", &req.purpose, 64)?;
        if let Some(d) = &req.device_id {
            text_field("device_id", d, 128)?;
        }
        let code_length = req.code_length.unwrap_or(6);
        if !(4..=10).contains(&code_length) {
            return Err(VerifyError::invalid(
                "code_length",
                "code_length must be 4 to 10",
            ));
        }
        let locale = normalize_locale(req.locale.as_deref())
            .ok_or_else(|| VerifyError::invalid("locale", "locale must be zh-CN or en"))?;
        if let Some(h) = &req.app_hash
            && !is_app_hash(h)
        {
            return Err(VerifyError::invalid(
                "app_hash",
                "app_hash must be the 11-character SMS Retriever hash",
            ));
        }
        let info = lookup(self.table, &req.phone).map_err(VerifyError::InvalidNumber)?;
        // Millisecond precision, as stored: the 201 shows what a later GET shows.
        let now =
            DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap_or_else(Utc::now);
        let terminal = req.device_id.as_deref().unwrap_or(&info.number);
        let terminal_key = self.hash_key.hash(
            "terminal",
            &format!("{}\u{1f}{terminal}\u{1f}{}", who.tenant_id, req.purpose),
        );
        let ip_hash = self.ip_hash(req.ip.as_deref())?;
        let carrier = info
            .carrier
            .and_then(|c| c.code)
            .map(|c| c.code().to_string())
            .unwrap_or_default();
        let mut v = Verification {
            id: new_id("ver"),
            tenant_id: who.tenant_id.clone(),
            phone: info.number.clone(),
            country: info.country.to_string(),
            carrier,
            purpose: req.purpose.clone(),
            terminal_key,
            channel: req.channel.unwrap_or(Channel::Sms),
            status: Status::Pending,
            code_hash: String::new(),
            locale: locale.to_string(),
            code_length,
            check_attempts: 0,
            max_check_attempts: self.cfg.max_check_attempts,
            last_sent_at: now,
            expires_at: now + self.ttl(),
            flash_window_ends_at: None,
            flash_prefix_hint: None,
            app_hash: req.app_hash.clone(),
            created_at: now,
            updated_at: now,
            attempts: vec![],
        };
        if super::carrier::apply_step(&mut v, req.carrier.as_ref(), now)? {
            self.store.insert_verification(&v, None).await?;
            metrics::counter!("phoneguard_verify_started_total", "channel" => v.channel.as_str(), "outcome" => v.status.as_str())
                .increment(1);
            return Ok(v);
        }
        let send = SendRecord {
            tenant_id: who.tenant_id.clone(),
            at: now,
            phone: info.number.clone(),
            ip_hash,
            country: info.country.to_string(),
            prefix: prefix_of(info.country, &info.national),
        };
        // The phone's last unused send and the terminal's last attempt, in
        // one read.
        let (last_send, last) = self
            .store
            .start_history(
                &who.tenant_id,
                &info.number,
                &req.purpose,
                &v.terminal_key,
                now - self.failover_ttl(),
            )
            .await?;
        // The resend cooldown holds for a new verification too: starting
        // again is no way around a refused resend.
        if self.cfg.resend_cooldown_s > 0
            && let Some(last) = last_send
        {
            self.check_cooldown(last, now)?;
        }
        self.check_limits(&send, now).await?;
        self.exclude_unentered(&v, last.as_ref(), now).await;
        let channel = match (v.channel, last) {
            // After a carrier step (a carrier attempt, or an outage) `auto` is SMS.
            _ if req.carrier.is_some() => Channel::Sms,
            // As a resend's: `auto` after a flash call whose window ended
            // unanswered is SMS (the start that may resend knows that call
            // as the terminal's last attempt, not by reading the verification).
            (Channel::Auto, Some(a))
                if req.resend_pending
                    && a.channel == Channel::FlashCall
                    && !a.entered
                    && now
                        >= a.sent_at + Duration::seconds(self.cfg.flash_call_window_s as i64) =>
            {
                Channel::Sms
            }
            _ => self.first_channel(v.channel, who, &v).await?,
        };
        let plan = SendPlan {
            v: &v,
            who,
            channel,
            code: new_code(code_length),
            seq: v.attempts.len() as u32 + 1,
            app_name: req.app_name.as_deref(),
        };
        match self.deliver_auto(v.channel, plan, now).await {
            Ok(d) if req.resend_pending => self.insert_or_resend(who, v, d, &send).await,
            Ok(d) => {
                apply(&mut v, d);
                self.store.insert_verification(&v, Some(&send)).await?;
                metrics::counter!("phoneguard_verify_started_total", "channel" => v.channel.as_str(), "outcome" => "pending")
                    .increment(1);
                Ok(v)
            }
            // A failed resend writes nothing and leaves the pending
            // verification as it was (as `resend` does); this read is on
            // the failure path only.
            Err(e)
                if req.resend_pending
                    && self
                        .store
                        .latest_pending(&v.tenant_id, &v.phone, &v.purpose)
                        .await?
                        .is_some_and(|p| now < p.expires_at) =>
            {
                Err(e)
            }
            Err(e) => {
                v.status = Status::Failed;
                self.store.insert_verification(&v, Some(&send)).await?;
                metrics::counter!("phoneguard_verify_started_total", "channel" => v.channel.as_str(), "outcome" => "failed")
                    .increment(1);
                Err(match e {
                    VerifyError::SupplierUnavailable(reason) => VerifyError::Undelivered {
                        id: v.id.clone(),
                        reason,
                    },
                    other => other,
                })
            }
        }
    }

    /// The write of a start with [`StartRequest::resend_pending`]: `v` with
    /// the code `d` delivered is inserted, or the pending verification of its
    /// phone and purpose gets that code (then it is read back for the answer).
    ///
    /// The send was planned for `v`'s id: a flash call's caller stays
    /// reserved under that id until its window ends (not freed when the
    /// resent verification is approved), and a supplier that echoes the id
    /// (Aliyun's `OutId`) was given it.
    async fn insert_or_resend(
        &self,
        who: &Principal,
        mut v: Verification,
        mut d: Delivered,
        send: &SendRecord,
    ) -> Result<Verification, VerifyError> {
        let key = self.hash_key.clone();
        let secret = std::mem::take(&mut d.secret);
        let rehash: CodeHasher = Arc::new(move |id: &str| code_hash(&key, id, &secret));
        apply(&mut v, d);
        match self.store.insert_or_resend(&v, send, rehash).await? {
            // A resend, not a start (as `resend` it is not counted as one).
            Some(id) => self.get(who, &id).await,
            None => {
                metrics::counter!("phoneguard_verify_started_total", "channel" => v.channel.as_str(), "outcome" => "pending")
                    .increment(1);
                Ok(v)
            }
        }
    }

    /// The patent's bookkeeping: when the terminal's previous code was not
    /// entered, its supplier is recorded against the terminal key. Returns
    /// that previous attempt.
    pub(super) async fn note_unentered(
        &self,
        v: &Verification,
        now: DateTime<Utc>,
    ) -> Result<Option<TerminalAttempt>, VerifyError> {
        let last = self
            .store
            .last_attempt_of_terminal(&v.tenant_id, &v.terminal_key, now - self.failover_ttl())
            .await?;
        self.exclude_unentered(v, last.as_ref(), now).await;
        Ok(last)
    }

    /// How long a failover exclusion lasts, and how far back a terminal's
    /// last attempt counts for it.
    fn failover_ttl(&self) -> Duration {
        Duration::seconds(self.cfg.failover_ttl_s as i64)
    }

    /// [`Self::note_unentered`] once the terminal's last attempt (since the
    /// failover TTL) is known.
    async fn exclude_unentered(
        &self,
        v: &Verification,
        last: Option<&TerminalAttempt>,
        now: DateTime<Utc>,
    ) {
        if let Some(a) = last.filter(|a| !a.entered) {
            let until = now + self.failover_ttl();
            self.exclude_supplier(&v.tenant_id, &v.terminal_key, &a.supplier_id, until, now)
                .await;
        }
    }
}
/// Puts a delivered attempt on the verification.
fn apply(v: &mut Verification, d: Delivered) {
    v.code_hash = d.code_hash;
    if let Some((end, hint)) = d.flash {
        v.flash_window_ends_at = Some(end);
        v.flash_prefix_hint = Some(hint);
    }
    v.last_sent_at = d.attempt.sent_at;
    v.attempts.push(d.attempt);
}
