//! Checks, flash-call reports, reads, cancel and delivery receipts.

use chrono::{Duration, Utc};
use phoneguard_numbering::parse;
use serde::Serialize;

use super::code::code_matches;
use super::error::VerifyError;
use super::model::{Channel, Delivery, Status, Verification};
use super::service::VerifyService;
use crate::tenants::Principal;

/// Most numbers one flash-call report may carry: the few calls the device
/// actually received in the window, not a list to try.
pub const MAX_REPORTED: usize = 3;

/// The answer of a check or report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    /// Verification id.
    pub id: String,
    /// `approved` or `pending`.
    pub status: Status,
    /// Wrong checks left.
    pub remaining_attempts: u32,
}

impl VerifyService {
    /// A verification of the caller's tenant, expired on the way when its time is up.
    pub async fn get(&self, who: &Principal, id: &str) -> Result<Verification, VerifyError> {
        if !crate::ids::is_valid_id("ver", id) {
            return Err(VerifyError::NotFound);
        }
        let mut v = self
            .store
            .get_verification(&who.tenant_id, id)
            .await?
            .ok_or(VerifyError::NotFound)?;
        let now = Utc::now();
        if v.status == Status::Pending && now >= v.expires_at {
            self.store
                .transition(&v.id, Status::Pending, Status::Expired, now)
                .await?;
            self.free_callers(&v.id).await;
            v = self
                .store
                .get_verification(&who.tenant_id, id)
                .await?
                .ok_or(VerifyError::NotFound)?;
        }
        Ok(v)
    }

    /// Checks a code against a verification.
    pub async fn check(
        &self,
        who: &Principal,
        id: &str,
        code: &str,
    ) -> Result<CheckOutcome, VerifyError> {
        let code = valid_code(code)?;
        let now = Utc::now();
        let v = self.open_verification(who, id, now).await?;
        self.check_open(who, &v, code).await
    }

    /// [`Self::check`] of a verification the caller has just read (the
    /// Twilio path finds it by phone): read again only when it is no longer
    /// pending or its time is up.
    pub async fn check_read(
        &self,
        who: &Principal,
        v: &Verification,
        code: &str,
    ) -> Result<CheckOutcome, VerifyError> {
        if v.tenant_id != who.tenant_id || v.status != Status::Pending || Utc::now() >= v.expires_at
        {
            return self.check(who, &v.id, code).await;
        }
        let code = valid_code(code)?;
        self.check_open(who, v, code).await
    }

    async fn check_open(
        &self,
        who: &Principal,
        v: &Verification,
        code: &str,
    ) -> Result<CheckOutcome, VerifyError> {
        let right = v.current_channel() != Channel::FlashCall
            && code_matches(&self.hash_key, &v.id, code, &v.code_hash);
        self.settle(who, v, right).await
    }

    /// Approves a pending verification without a code (Twilio's
    /// `Status=approved`: the caller verified the user its own way),
    /// recorded as a right check is: its last code counts as entered in the
    /// failover statistics and the terminal's exclusions end.
    pub async fn approve_without_code(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<Verification, VerifyError> {
        let v = self.open_verification(who, id, Utc::now()).await?;
        self.settle(who, &v, true).await?;
        self.get(who, id).await
    }

    /// Checks a code against the newest pending verification of a phone and purpose.
    pub async fn check_by_phone(
        &self,
        who: &Principal,
        phone: &str,
        purpose: &str,
        code: &str,
    ) -> Result<CheckOutcome, VerifyError> {
        let e164 = parse(phone).map_err(VerifyError::InvalidNumber)?.e164();
        let v = self
            .store
            .latest_pending(&who.tenant_id, &e164, purpose)
            .await?
            .ok_or(VerifyError::NotFound)?;
        self.check(who, &v.id, code).await
    }

    /// A flash-call report: the numbers that called the device (at most
    /// [`MAX_REPORTED`]). Approves when the chosen caller is among them (any
    /// usual format); counts as an attempt. Only the device that received the
    /// call knows which number of the pool placed it, so a report naming two
    /// or more numbers of the supplier's caller pool is a guess: it counts as
    /// a wrong attempt and ends the verification as `max_attempts_reached`.
    /// Only within the call's window: a later report is refused (the caller
    /// number may already be another call's).
    pub async fn report(
        &self,
        who: &Principal,
        id: &str,
        incoming: &[String],
    ) -> Result<CheckOutcome, VerifyError> {
        if incoming.len() > MAX_REPORTED {
            return Err(VerifyError::invalid(
                "incoming_numbers",
                format!(
                    "at most {MAX_REPORTED} numbers: the calls the device received in the window, not a list to try"
                ),
            ));
        }
        let now = Utc::now();
        let v = self.open_verification(who, id, now).await?;
        if v.current_channel() != Channel::FlashCall {
            return Err(VerifyError::invalid(
                "incoming_numbers",
                "this verification's current attempt is not a flash call",
            ));
        }
        if let Some(end) = v.flash_window_ends_at
            && now > end
        {
            return Err(VerifyError::invalid(
                "incoming_numbers",
                format!(
                    "the flash call's window ended at {}; resend for a new call (or, with channel auto, a code by SMS)",
                    end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        let mut numbers: Vec<String> = incoming
            .iter()
            .filter_map(|n| parse(n).ok().map(|p| p.e164()))
            .collect();
        numbers.sort();
        numbers.dedup();
        if self.pool_numbers(&v, &numbers).await > 1 {
            return self.end_guessed(who, &v).await;
        }
        let right = numbers
            .iter()
            .any(|n| code_matches(&self.hash_key, &v.id, n, &v.code_hash));
        self.settle(who, &v, right).await
    }

    /// How many of `numbers` (E.164, distinct) belong to the caller pool of
    /// the supplier that placed the verification's flash call; when that
    /// supplier is gone, the numbers that fit the call's prefix hint.
    async fn pool_numbers(&self, v: &Verification, numbers: &[String]) -> usize {
        let supplier = v.attempts.last().map(|a| a.supplier.as_str());
        match supplier {
            Some(id) => match self.route(id).await {
                Some(r) => numbers.iter().filter(|n| r.caller_pool.contains(n)).count(),
                None => {
                    let hint = v.flash_prefix_hint.as_deref().unwrap_or("+");
                    numbers.iter().filter(|n| n.starts_with(hint)).count()
                }
            },
            None => 0,
        }
    }

    /// A report that named several numbers of the caller pool: a wrong
    /// attempt that ends the verification (409 `max_attempts_reached`).
    async fn end_guessed(
        &self,
        who: &Principal,
        v: &Verification,
    ) -> Result<CheckOutcome, VerifyError> {
        let now = Utc::now();
        metrics::counter!("phoneguard_verify_checks_total", "result" => "guessed").increment(1);
        tracing::info!(verification = %v.id, "flash-call report named several pool numbers; verification ended");
        if self.store.count_wrong_check(&v.id, now).await?.is_none() {
            return Err(VerifyError::for_status(self.get(who, &v.id).await?.status));
        }
        self.store
            .transition(&v.id, Status::Pending, Status::MaxAttemptsReached, now)
            .await?;
        self.free_callers(&v.id).await;
        Err(VerifyError::MaxAttempts)
    }

    /// Approves (one winner, by a conditional update) or counts a wrong attempt.
    async fn settle(
        &self,
        who: &Principal,
        v: &Verification,
        right: bool,
    ) -> Result<CheckOutcome, VerifyError> {
        let now = Utc::now();
        if right {
            if self.store.approve(&v.id, &v.code_hash, now).await? {
                self.forget_approved(v).await;
                metrics::counter!("phoneguard_verify_checks_total", "result" => "approved")
                    .increment(1);
                tracing::info!(verification = %v.id, phone = %phoneguard_numbering::mask(&v.phone), "verification approved");
                return Ok(CheckOutcome {
                    id: v.id.clone(),
                    status: Status::Approved,
                    remaining_attempts: v.max_check_attempts.saturating_sub(v.check_attempts),
                });
            }
            let fresh = self.get(who, &v.id).await?;
            return Err(VerifyError::for_status(
                if fresh.status == Status::Pending {
                    Status::Approved
                } else {
                    fresh.status
                },
            ));
        }
        metrics::counter!("phoneguard_verify_checks_total", "result" => "wrong").increment(1);
        match self.store.count_wrong_check(&v.id, now).await? {
            Some((_, Status::MaxAttemptsReached)) => {
                self.free_callers(&v.id).await;
                Err(VerifyError::MaxAttempts)
            }
            Some((n, status)) => Ok(CheckOutcome {
                id: v.id.clone(),
                status,
                remaining_attempts: v.max_check_attempts.saturating_sub(n),
            }),
            None => Err(VerifyError::for_status(self.get(who, &v.id).await?.status)),
        }
    }

    /// Cancels a pending verification.
    pub async fn cancel(&self, who: &Principal, id: &str) -> Result<Verification, VerifyError> {
        let now = Utc::now();
        let v = self.open_verification(who, id, now).await?;
        if !self
            .store
            .transition(&v.id, Status::Pending, Status::Canceled, now)
            .await?
        {
            return Err(VerifyError::for_status(self.get(who, id).await?.status));
        }
        self.free_callers(&v.id).await;
        self.get(who, id).await
    }

    /// A delivery receipt: sets the attempt's delivery; a failed delivery
    /// excludes its supplier for the terminal at once. `false` when no attempt
    /// of that supplier has that message id.
    pub async fn receipt(
        &self,
        supplier_id: &str,
        message_ref: &str,
        delivery: Delivery,
    ) -> Result<bool, VerifyError> {
        let Some(t) = self
            .store
            .record_delivery(supplier_id, message_ref, delivery)
            .await?
        else {
            return Ok(false);
        };
        metrics::counter!("phoneguard_verify_receipts_total", "supplier" => supplier_id.to_string(),
            "delivery" => delivery.as_str()).increment(1);
        if delivery == Delivery::Failed && t.pending {
            let now = Utc::now();
            let until = now + Duration::seconds(self.cfg.failover_ttl_s as i64);
            self.exclude_supplier(&t.tenant_id, &t.terminal_key, &t.supplier_id, until, now)
                .await;
        }
        Ok(true)
    }

    /// Applies the delivery receipts the sandbox suppliers owe (every message
    /// or call they delivered, `drop_rate` aside), as a real supplier's
    /// callback would: runs for the life of the service. A receipt can come
    /// before its attempt is stored (the send answers first); it is tried
    /// again every 100 ms, for at most [`SANDBOX_RECEIPT_TRIES`] times. Holds
    /// the service weakly: it ends once the service is gone.
    pub async fn run_sandbox_receipts(service: std::sync::Weak<Self>) {
        let Some(outbox) = service.upgrade().map(|s| s.outbox.clone()) else {
            return;
        };
        loop {
            let batch = outbox.take_receipts().await;
            let Some(this) = service.upgrade() else {
                return;
            };
            let mut again = false;
            for mut r in batch {
                let applied = match this
                    .receipt(&r.supplier, &r.message_id, Delivery::Delivered)
                    .await
                {
                    Ok(applied) => applied,
                    Err(e) => {
                        tracing::warn!(supplier = %r.supplier, error = %e, "sandbox receipt not applied; retrying");
                        false
                    }
                };
                r.tries += 1;
                if !applied && r.tries < SANDBOX_RECEIPT_TRIES {
                    outbox.push_receipt(r);
                    again = true;
                }
            }
            drop(this);
            if again {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }

    /// Sets (or clears) the destination countries a tenant may send to.
    pub async fn set_tenant_countries(
        &self,
        tenant_id: &str,
        countries: Option<Vec<String>>,
    ) -> Result<Vec<String>, VerifyError> {
        if let Some(list) = &countries
            && (list.is_empty()
                || list
                    .iter()
                    .any(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase())))
        {
            return Err(VerifyError::invalid(
                "countries",
                "countries must be ISO 3166 codes such as \"CN\"",
            ));
        }
        self.store
            .set_tenant_countries(tenant_id, countries.as_deref())
            .await?;
        self.countries_cache.invalidate(tenant_id);
        Ok(countries.unwrap_or_else(|| self.cfg.allowed_countries.clone()))
    }

    /// A tenant's own message texts, if it has any (as stored now).
    pub async fn tenant_templates(
        &self,
        tenant_id: &str,
    ) -> Result<Option<super::TenantTemplates>, VerifyError> {
        let raw = self.store.tenant_templates(tenant_id).await?;
        parse_templates(tenant_id, raw)
    }

    /// A tenant's own message texts for a send: read at most every
    /// [`super::service::TENANT_SETTINGS_TTL`].
    pub(crate) async fn send_templates(
        &self,
        tenant_id: &str,
    ) -> Result<Option<super::TenantTemplates>, VerifyError> {
        let raw = super::service::read_through(&self.templates_cache, tenant_id, async {
            Ok(self.store.tenant_templates(tenant_id).await?)
        })
        .await?;
        parse_templates(tenant_id, raw)
    }

    /// Sets (or with `None` clears) a tenant's message texts, checked like the
    /// configured ones.
    pub async fn set_tenant_templates(
        &self,
        tenant_id: &str,
        t: Option<super::TenantTemplates>,
    ) -> Result<(), VerifyError> {
        if let Some(t) = &t {
            if let Some(name) = &t.app_name {
                super::service::text_field("app_name", name, 40)?;
            }
            for (k, text) in &t.templates {
                super::code::check_template(k, text)
                    .map_err(|m| VerifyError::invalid("templates", m))?;
            }
        }
        let json = t.map(|t| serde_json::to_string(&t).expect("templates serialize"));
        self.store
            .set_tenant_templates(tenant_id, json.as_deref())
            .await?;
        self.templates_cache.invalidate(tenant_id);
        Ok(())
    }

    /// Deletes old send records, expired failover mappings and caller reservations.
    pub async fn purge(&self) -> Result<u64, VerifyError> {
        let now = Utc::now();
        Ok(self
            .store
            .purge_verify(now - self.longest_send_window(), now)
            .await?)
    }
}

/// Times a sandbox receipt is tried before it is given up (its attempt was
/// never stored: the verification's start failed after the send).
const SANDBOX_RECEIPT_TRIES: u32 = 50;

/// Stored per-tenant templates (JSON), parsed.
fn parse_templates(
    tenant_id: &str,
    raw: Option<String>,
) -> Result<Option<super::TenantTemplates>, VerifyError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    serde_json::from_str(&raw).map(Some).map_err(|e| {
        VerifyError::Store(crate::store::error::StoreError::Other(format!(
            "tenant {tenant_id}: stored templates do not parse: {e}"
        )))
    })
}

/// A code as entered, trimmed; 4 to 10 digits.
fn valid_code(code: &str) -> Result<&str, VerifyError> {
    let code = code.trim();
    if !(4..=10).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::invalid("code", "code must be 4 to 10 digits"));
    }
    Ok(code)
}
