//! The ports of verification: [`VerifyStore`] (durable state, shared by every
//! node), [`MessageSender`] / [`MessagingDirectory`] (the suppliers that
//! deliver SMS, voice calls and flash calls), and the short-lived state that
//! decides outcomes on every node: [`SendAdmission`] (the send limits) and
//! [`VerifyHotState`] (the failover mappings of the verification-code patent
//! and flash-call caller reservations).
//!
//! Every [`VerifyStore`] (as the service holds it, in an `Arc`) implements
//! both hot-state ports itself (below):
//! correct on several nodes sharing PostgreSQL without Redis, except that
//! admission counts then inserts (two requests racing on two nodes can both
//! pass the last free slot), and each count scans its window.
//! [`SendWindows`](super::SendWindows), for one node on SQLite, is admission in
//! memory. The Redis implementation (`phoneguard_counters::RedisVerifyState`)
//! implements both: admission is one atomic script over all limits, mappings
//! and reservations are keys with TTLs.
//!
//! What the service does when this state is unreachable (Redis down):
//! - send admission fails closed: 503 `storage_unavailable`, no code is sent;
//! - caller reservations fail closed: no flash call without a reserved caller;
//! - failover mappings degrade: reads count as "no supplier excluded", writes
//!   are dropped, each logged and counted in
//!   `phoneguard_verify_hot_state_errors_total{op}`; the code is still sent;
//! - releasing callers degrades: reservations end by their TTL.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::model::{Attempt, Channel, Delivery, Status, Verification};
use crate::store::error::StoreResult;
use crate::suppliers::{SupplierConfig, SupplierError};

/// One send, kept for the rate limits and the SMS-pumping guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    /// Owner.
    pub tenant_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// E.164 of the destination.
    pub phone: String,
    /// Keyed hash of the end user's IP, when given.
    pub ip_hash: Option<String>,
    /// ISO region of the destination.
    pub country: String,
    /// First 7 digits of the destination's national number.
    pub prefix: String,
}

/// What a send count is about (always within one tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendScope {
    /// Every send of the tenant.
    Tenant,
    /// Sends to one E.164 number.
    Phone(String),
    /// Sends for one end-user IP hash.
    Ip(String),
    /// Sends to one country.
    Country(String),
    /// Sends to one 7-digit prefix.
    Prefix(String),
}

impl SendScope {
    /// The scope's kind (`tenant`, `phone`, `ip`, `country`, `prefix`) and its
    /// value (empty for the tenant).
    pub fn kind_and_value(&self) -> (&'static str, &str) {
        match self {
            SendScope::Tenant => ("tenant", ""),
            SendScope::Phone(p) => ("phone", p),
            SendScope::Ip(ip) => ("ip", ip),
            SendScope::Country(c) => ("country", c),
            SendScope::Prefix(p) => ("prefix", p),
        }
    }
}

/// How many sends a scope had since a time, and when the oldest of them was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendCount {
    /// Sends in the window.
    pub count: i64,
    /// The oldest send in the window.
    pub oldest: Option<DateTime<Utc>>,
}

/// The most sends a carrier's conversion figures count: the newest of the
/// conversion window. Ten thousand sends give a supplier's conversion rate to
/// within about one percentage point, and a read of them costs the same
/// whether the carrier takes a hundred codes a day or a hundred million.
pub const CONVERSION_SAMPLE: i64 = 10_000;

/// Codes sent and entered through one supplier for one carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionRow {
    /// Supplier.
    pub supplier_id: String,
    /// Codes sent in the window.
    pub sent: i64,
    /// Of those, codes entered correctly.
    pub entered: i64,
}

/// The verification an attempt belongs to, as a delivery receipt finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptTarget {
    /// Owner.
    pub tenant_id: String,
    /// The failover key of its terminal.
    pub terminal_key: String,
    /// The supplier of the attempt.
    pub supplier_id: String,
    /// Whether the verification is still pending.
    pub pending: bool,
}

/// The newest attempt for a terminal: the failover's and `auto`'s memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalAttempt {
    /// Its supplier.
    pub supplier_id: String,
    /// Whether its code was entered.
    pub entered: bool,
    /// `sms`, `voice`, `flash_call` or `carrier`.
    pub channel: Channel,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// A new code for a pending verification (resend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resend {
    /// HMAC of the new code.
    pub code_hash: String,
    /// New expiry.
    pub expires_at: DateTime<Utc>,
    /// Flash-call window end, for a flash call.
    pub flash_window_ends_at: Option<DateTime<Utc>>,
    /// Flash-call prefix hint, for a flash call.
    pub flash_prefix_hint: Option<String>,
}

/// The keyed hash of the code (or flash-call caller) just sent, for a
/// verification id: see [`VerifyStore::insert_or_resend`].
pub type CodeHasher = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Durable verification state. Every decision a check makes is a single
/// conditional statement here, so two nodes on one database agree. A database
/// also keeps the failover mappings and caller reservations, as rows (each row
/// carries its end, so it needs no `now` to expire them): every `VerifyStore`
/// is a [`VerifyHotState`], which a deployment with Redis replaces.
#[async_trait]
pub trait VerifyStore: VerifyHotState + Send + Sync + 'static {
    /// Inserts a verification with its first attempt (if any) and the send
    /// record, and cancels older pending verifications of the same tenant,
    /// phone and purpose; one transaction.
    async fn insert_verification(
        &self,
        v: &Verification,
        send: Option<&SendRecord>,
    ) -> StoreResult<()>;
    /// A start that may be a resend (Twilio's rule: a second create for the
    /// same `To` on a service resends the pending verification). `v` is a
    /// new pending verification with the one attempt just sent; in one write:
    /// - when a pending, unexpired verification of the same tenant, phone and
    ///   purpose exists (the newest), it gets the new code instead, as
    ///   [`Self::resend`] gives it: code hash `rehash(its id)`, `v`'s expiry
    ///   and flash fields, the attempt (numbered after its last) and the send
    ///   record; `v` is not written and `Some(its id)` is returned;
    /// - otherwise as [`Self::insert_verification`]`(v, Some(send))` and `None`.
    ///
    /// The code hash is bound to the id of the verification it ends up in,
    /// which only this write knows, hence `rehash`.
    async fn insert_or_resend(
        &self,
        v: &Verification,
        send: &SendRecord,
        rehash: CodeHasher,
    ) -> StoreResult<Option<String>>;
    /// A verification of a tenant, with its attempts.
    async fn get_verification(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<Verification>>;
    /// The newest pending verification of a tenant's phone and purpose.
    async fn latest_pending(
        &self,
        tenant_id: &str,
        phone: &str,
        purpose: &str,
    ) -> StoreResult<Option<Verification>>;
    /// When a code was last sent for a tenant's phone and purpose: the newest
    /// `last_sent_at` of its verifications that sent one and were not
    /// approved (not `failed`, which sent nothing; not `approved`, which
    /// used its code). A new start within the resend cooldown of it is
    /// refused like a resend.
    async fn last_unused_send(
        &self,
        tenant_id: &str,
        phone: &str,
        purpose: &str,
    ) -> StoreResult<Option<DateTime<Utc>>>;
    /// Replaces the code of a pending verification and appends the attempt;
    /// `false` when it is no longer pending.
    async fn resend(
        &self,
        id: &str,
        r: &Resend,
        attempt: &Attempt,
        send: &SendRecord,
    ) -> StoreResult<bool>;
    /// Approves a pending, unexpired verification whose code hash is still
    /// `code_hash` (`UPDATE … WHERE status = 'pending' AND …`); on success also
    /// marks the latest attempt entered, deletes every failover mapping of the
    /// terminal key and frees its flash-call caller. `true` for the one winner.
    async fn approve(&self, id: &str, code_hash: &str, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Counts a wrong check of a pending verification; reaching the maximum
    /// ends it as `max_attempts_reached`. The counts after it, or `None` when
    /// it was not pending.
    async fn count_wrong_check(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(u32, Status)>>;
    /// Moves a verification from `from` to `to`; `false` when it was not in `from`.
    async fn transition(
        &self,
        id: &str,
        from: Status,
        to: Status,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The newest attempt for a terminal key since `since`.
    async fn last_attempt_of_terminal(
        &self,
        tenant_id: &str,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<TerminalAttempt>>;
    /// What a start reads before it sends, in one read where the backend
    /// can: [`Self::last_unused_send`] of `phone` and `purpose`, and
    /// [`Self::last_attempt_of_terminal`] of `key` since `since`.
    async fn start_history(
        &self,
        tenant_id: &str,
        phone: &str,
        purpose: &str,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<(Option<DateTime<Utc>>, Option<TerminalAttempt>)> {
        Ok((
            self.last_unused_send(tenant_id, phone, purpose).await?,
            self.last_attempt_of_terminal(tenant_id, key, since).await?,
        ))
    }
    /// Sends of a scope since `since`.
    async fn count_sends(
        &self,
        tenant_id: &str,
        scope: &SendScope,
        since: DateTime<Utc>,
    ) -> StoreResult<SendCount>;
    /// Hands every send since `since` to `each`, oldest first, streaming
    /// (start-up seeds the in-memory send windows of a single node from
    /// them); returns how many there were.
    async fn sends_since(
        &self,
        since: DateTime<Utc>,
        each: &mut (dyn FnMut(SendRecord) + Send),
    ) -> StoreResult<u64>;
    /// Codes sent and entered per supplier for one carrier since `since`,
    /// counted over that carrier's `newest` sends at most (the service asks
    /// for [`CONVERSION_SAMPLE`]).
    async fn conversion(
        &self,
        carrier: &str,
        since: DateTime<Utc>,
        newest: i64,
    ) -> StoreResult<Vec<ConversionRow>>;

    /// Sets the delivery of the attempt a supplier knows by `message_ref`.
    /// `failed` is final: a receipt arriving after it (out of order) leaves it.
    async fn record_delivery(
        &self,
        supplier_id: &str,
        message_ref: &str,
        delivery: Delivery,
    ) -> StoreResult<Option<ReceiptTarget>>;

    /// The destination countries a tenant may send to; `None`: the configured default.
    async fn tenant_countries(&self, tenant_id: &str) -> StoreResult<Option<Vec<String>>>;
    /// Sets (or with `None` clears) a tenant's destination countries.
    async fn set_tenant_countries(
        &self,
        tenant_id: &str,
        countries: Option<&[String]>,
    ) -> StoreResult<()>;

    /// A tenant's own message texts (JSON of [`super::TenantTemplates`]); `None`: the configured ones.
    async fn tenant_templates(&self, tenant_id: &str) -> StoreResult<Option<String>>;
    /// Sets (or with `None` clears) a tenant's message texts (JSON).
    async fn set_tenant_templates(&self, tenant_id: &str, json: Option<&str>) -> StoreResult<()>;

    /// Deletes send records older than `before` and expired failover mappings and
    /// caller reservations; returns the rows deleted.
    async fn purge_verify(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// One message or call to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// Who pays.
    pub tenant_id: String,
    /// The verification it belongs to.
    pub verification_id: String,
    /// E.164 destination.
    pub to: String,
    /// `sms`, `voice` or `flash_call`.
    pub channel: Channel,
    /// The text (SMS) or the words to speak (voice); empty for a flash call.
    pub text: String,
    /// The code itself, for vendors that fill their own template (Aliyun, Tencent).
    pub code: String,
    /// TTL in minutes, for vendor templates.
    pub ttl_min: u64,
    /// `zh-CN` or `en`.
    pub locale: String,
    /// The caller number of a flash call (E.164).
    pub caller: Option<String>,
}

/// What the supplier said when it accepted the message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accepted {
    /// The supplier's id of the message or call (receipts refer to it).
    pub message_ref: Option<String>,
}

/// A supplier that delivers messages or places calls.
#[async_trait]
pub trait MessageSender: Send + Sync + 'static {
    /// Hands the message to the vendor. `Ok` means accepted, not delivered.
    async fn send(&self, msg: &Outbound) -> Result<Accepted, SupplierError>;
}

/// A messaging supplier: its configuration (credentials removed) and adapter.
pub struct MessagingRoute {
    /// Configuration (id, kind, capabilities, carriers, weight, options).
    pub config: SupplierConfig,
    /// Flash-call caller numbers (E.164) of a voice supplier.
    pub caller_pool: Vec<String>,
    /// The vendor's own key for signed delivery receipts (Twilio: the auth token).
    pub receipt_token: Option<String>,
    /// The adapter.
    pub sender: Arc<dyn MessageSender>,
}

/// Where the verification service finds its messaging suppliers (the supplier
/// registry, filtered to `sms` / `voice`).
#[async_trait]
pub trait MessagingDirectory: Send + Sync + 'static {
    /// The current messaging suppliers.
    async fn routes(&self) -> Result<Arc<Vec<Arc<MessagingRoute>>>, SupplierError>;
}

/// One send limit: at most `max` sends of `scope` per `window_s` seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendLimit {
    /// Name, as in the 429 (`phone`, `tenant`, `country`, `prefix`, `ip`).
    pub limit: &'static str,
    /// What is counted (within the send's tenant).
    pub scope: SendScope,
    /// Sends allowed in the window.
    pub max: u32,
    /// Window length in seconds.
    pub window_s: u64,
}

/// The first limit a send would pass, and when it frees a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Index into the limits given to [`VerifyHotState::admit_send`].
    pub index: usize,
    /// Seconds until the oldest send of that limit leaves its window (≥ 1).
    pub retry_after: u64,
}

/// Send admission: the send limits, checked and taken together.
#[async_trait]
pub trait SendAdmission: Send + Sync + 'static {
    /// Takes a slot of every limit for `rec`, or none and the refusal when one
    /// is full.
    async fn admit_send(
        &self,
        rec: &SendRecord,
        limits: &[SendLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Refusal>>;
}

/// Failover mappings and caller reservations, shared by every node.
#[async_trait]
pub trait VerifyHotState: Send + Sync + 'static {
    /// Records a supplier against a terminal key until `expires_at`.
    async fn add_failover(
        &self,
        tenant_id: &str,
        key: &str,
        supplier_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Suppliers recorded against a terminal key and not expired at `now`.
    async fn failover_suppliers(
        &self,
        tenant_id: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>>;
    /// Deletes every mapping of a terminal key.
    async fn clear_failover(&self, tenant_id: &str, key: &str) -> StoreResult<()>;

    /// Reserves a caller number of a pool for a verification until `until`,
    /// among the flash calls to one tenant's phone (`phone_key`, a keyed hash
    /// of tenant and number): `false` when another verification of the same
    /// `phone_key` holds it. Calls to other phones, or of other tenants, never
    /// compete for a caller (see `VerifyService::reserve_caller` for why).
    async fn reserve_caller(
        &self,
        pool: &str,
        phone_key: &str,
        caller: &str,
        verification_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Frees the caller numbers a verification holds.
    async fn release_callers(&self, verification_id: &str) -> StoreResult<()>;

    /// A verification was approved: its terminal's mappings and its callers go.
    /// (The database does both in the approving transaction, so the default
    /// does nothing.)
    async fn on_approved(
        &self,
        tenant_id: &str,
        key: &str,
        verification_id: &str,
    ) -> StoreResult<()> {
        let _ = (tenant_id, key, verification_id);
        Ok(())
    }
}

/// A [`VerifyStore`] admits a send by counting the recorded sends
/// (`verify_sends`, written with the verification) of each limit's window.
#[async_trait]
impl<S: VerifyStore + ?Sized> SendAdmission for Arc<S> {
    async fn admit_send(
        &self,
        rec: &SendRecord,
        limits: &[SendLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Refusal>> {
        for (index, l) in limits.iter().enumerate() {
            let window = Duration::seconds(l.window_s as i64);
            let n =
                VerifyStore::count_sends(&**self, &rec.tenant_id, &l.scope, now - window).await?;
            if n.count >= i64::from(l.max) {
                let free_at = n.oldest.unwrap_or(now) + window;
                let retry_after = (free_at - now).num_seconds().max(1) as u64;
                return Ok(Some(Refusal { index, retry_after }));
            }
        }
        Ok(None)
    }
}

/// The app name a verification's messages carry when its purpose names one
/// (a Twilio Verify service's `FriendlyName`); `None` keeps the tenant's.
#[async_trait]
pub trait AppNames: Send + Sync + 'static {
    /// The name for a verification of `tenant_id` with `purpose`.
    async fn app_name(&self, tenant_id: &str, purpose: &str) -> Option<String>;
}
