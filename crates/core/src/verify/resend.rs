//! Resending a verification's code, and the state a resend or a check starts
//! from (split out of `service.rs`).

use chrono::{DateTime, Utc};
use phoneguard_numbering::lookup;

use super::code::new_code;
use super::error::VerifyError;
use super::model::{Channel, SendPlan, Status, Verification, prefix_of};
use super::port::{Resend, SendRecord};
use super::service::VerifyService;
use crate::tenants::Principal;

impl VerifyService {
    /// Sends a new code (the old one dies), through another supplier when the
    /// previous code was not entered.
    /// `ip` is the end user's address, counted by the per-IP send limit.
    pub async fn resend(
        &self,
        who: &Principal,
        id: &str,
        channel: Option<Channel>,
        ip: Option<&str>,
    ) -> Result<Verification, VerifyError> {
        let ip_hash = self.ip_hash(ip)?;
        let now = Utc::now();
        let v = self.open_verification(who, id, now).await?;
        self.check_cooldown(v.last_sent_at, now)?;
        let info = lookup(self.table, &v.phone).map_err(VerifyError::InvalidNumber)?;
        let send = SendRecord {
            tenant_id: who.tenant_id.clone(),
            at: now,
            phone: v.phone.clone(),
            ip_hash,
            country: v.country.clone(),
            prefix: prefix_of(&v.country, &info.national),
        };
        self.check_limits(&send, now).await?;
        let asked = channel.unwrap_or(v.channel);
        if asked == Channel::Carrier {
            return Err(VerifyError::invalid(
                "channel",
                "a carrier check is not resent: start a new verification with a new carrier_token",
            ));
        }
        let wanted = match asked {
            Channel::Auto => match v.flash_window_ends_at {
                Some(end) if now >= end => Channel::Sms,
                Some(_) => Channel::FlashCall,
                None => self.first_channel(Channel::Auto, who, &v).await?,
            },
            other => other,
        };
        self.note_unentered(&v, now).await?;
        self.free_callers(&v.id).await;
        let seq = v.attempts.len() as u32 + 1;
        let plan = SendPlan {
            v: &v,
            who,
            channel: wanted,
            code: new_code(v.code_length),
            seq,
            app_name: None,
        };
        let d = self.deliver_auto(asked, plan, now).await?;
        let r = Resend {
            code_hash: d.code_hash.clone(),
            expires_at: now + self.ttl(),
            flash_window_ends_at: d.flash.as_ref().map(|f| f.0),
            flash_prefix_hint: d.flash.as_ref().map(|f| f.1.clone()),
        };
        if !self.store.resend(&v.id, &r, &d.attempt, &send).await? {
            let fresh = self.get(who, id).await?;
            return Err(VerifyError::for_status(fresh.status));
        }
        self.get(who, id).await
    }

    /// The verification if it can still pass; expires it on the way when its time is up.
    pub(crate) async fn open_verification(
        &self,
        who: &Principal,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Verification, VerifyError> {
        let v = self.get(who, id).await?;
        match v.status {
            Status::Pending => Ok(v),
            other => Err(VerifyError::for_status(other)),
        }
        .and_then(|v| {
            if now >= v.expires_at {
                Err(VerifyError::Expired)
            } else {
                Ok(v)
            }
        })
    }
}
