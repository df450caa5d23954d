//! Verification records: channels, statuses, attempts and the verification itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tenants::Principal;

/// How a code (or a call) reaches the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ChannelCode))]
pub enum Channel {
    /// A text message with the code.
    Sms,
    /// A call reading the code out (TTS).
    Voice,
    /// A missed call from a chosen number; the app reports what called it.
    FlashCall,
    /// Flash call first, SMS after the flash-call window; with a carrier
    /// token, carrier one-tap first and SMS when it does not pass.
    Auto,
    /// Carrier one-tap (本机号码校验): decided at once by the carrier.
    Carrier,
}

impl Channel {
    /// The stable code, e.g. `flash_call`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
            Channel::FlashCall => "flash_call",
            Channel::Auto => "auto",
            Channel::Carrier => "carrier",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<Channel> {
        [
            Channel::Sms,
            Channel::Voice,
            Channel::FlashCall,
            Channel::Auto,
            Channel::Carrier,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Where a verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = VerificationStatus))]
pub enum Status {
    /// Waiting for the code (or the flash-call report).
    Pending,
    /// The right code was entered: terminal.
    Approved,
    /// Canceled by the tenant, or replaced by a newer verification: terminal.
    Canceled,
    /// Its time ran out: terminal.
    Expired,
    /// Too many wrong checks, or a flash-call report naming several numbers
    /// of the caller pool (a guess): terminal.
    MaxAttemptsReached,
    /// No supplier could deliver: terminal.
    Failed,
}

impl Status {
    /// The stable code, e.g. `max_attempts_reached`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Canceled => "canceled",
            Status::Expired => "expired",
            Status::MaxAttemptsReached => "max_attempts_reached",
            Status::Failed => "failed",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Approved,
            Status::Canceled,
            Status::Expired,
            Status::MaxAttemptsReached,
            Status::Failed,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// What a supplier (or its delivery receipt) says about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DeliveryCode))]
pub enum Delivery {
    /// Accepted by the supplier, no receipt yet.
    Sent,
    /// The receipt says it reached the phone.
    Delivered,
    /// The receipt says it did not reach the phone.
    Failed,
}

impl Delivery {
    /// The stable code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Failed => "failed",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<Delivery> {
        [Delivery::Sent, Delivery::Delivered, Delivery::Failed]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// One code (or call) sent for a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// 1, 2, … within the verification.
    pub seq: u32,
    /// `sms`, `voice` or `flash_call`.
    pub channel: Channel,
    /// The supplier that carried it.
    pub supplier: String,
    /// When it was handed to the supplier.
    pub sent_at: DateTime<Utc>,
    /// Delivery as last reported.
    pub delivery: Delivery,
    /// The supplier's message or call id (for receipts).
    #[serde(skip)]
    pub message_ref: Option<String>,
    /// Carrier of the phone (`cmcc`…; empty when unknown), for conversion figures.
    #[serde(skip)]
    pub carrier: String,
}

/// A verification as stored. The code exists only as its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// `ver_…`
    pub id: String,
    /// Owner.
    pub tenant_id: String,
    /// E.164.
    pub phone: String,
    /// ISO region of the phone, e.g. `CN`.
    pub country: String,
    /// Carrier code of the phone; empty when unknown.
    pub carrier: String,
    /// Business type (`login`…).
    pub purpose: String,
    /// Keyed hash of tenant + terminal (device id, else phone) + purpose: the
    /// failover key of the verification-code patent.
    pub terminal_key: String,
    /// The channel asked for (may be `auto`).
    pub channel: Channel,
    /// Where it stands.
    pub status: Status,
    /// HMAC of the current code (or flash-call caller number), bound to the id.
    pub code_hash: String,
    /// `zh-CN` or `en`.
    pub locale: String,
    /// Digits of the code.
    pub code_length: u32,
    /// Wrong checks (and flash-call reports) so far.
    pub check_attempts: u32,
    /// Wrong checks allowed.
    pub max_check_attempts: u32,
    /// When the last code was sent.
    pub last_sent_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// When the current flash call's window ends (flash call only).
    pub flash_window_ends_at: Option<DateTime<Utc>>,
    /// The prefix hint of the current flash call's caller.
    pub flash_prefix_hint: Option<String>,
    /// Android SMS Retriever app hash, if given.
    pub app_hash: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The codes sent, oldest first.
    pub attempts: Vec<Attempt>,
}

impl Verification {
    /// The channel of the latest attempt (the one the current code went by).
    pub fn current_channel(&self) -> Channel {
        self.attempts.last().map_or(self.channel, |a| a.channel)
    }

    /// The status as seen at `now`: a pending verification past its time is expired.
    pub fn status_at(&self, now: DateTime<Utc>) -> Status {
        if self.status == Status::Pending && now >= self.expires_at {
            Status::Expired
        } else {
            self.status
        }
    }
}

/// The 7-digit prefix a pumping attack concentrates on, tagged with the country.
pub fn prefix_of(country: &str, national: &str) -> String {
    let p: String = national.chars().take(7).collect();
    format!("{country}:{p}")
}

/// One send to make.
pub(crate) struct SendPlan<'a> {
    pub v: &'a Verification,
    pub who: &'a Principal,
    /// `sms`, `voice` or `flash_call` (never `auto`).
    pub channel: Channel,
    /// The new code (unused for a flash call).
    pub code: String,
    /// Attempt number.
    pub seq: u32,
    /// The app name of this message, before the tenant's and the purpose's
    /// (a Twilio create's `CustomFriendlyName`).
    pub app_name: Option<&'a str>,
}

/// A send that a supplier accepted.
pub(crate) struct Delivered {
    pub attempt: Attempt,
    pub code_hash: String,
    /// What `code_hash` hashes with the verification's id (the code, or the
    /// caller number of a flash call), kept in memory only: a start that
    /// turns out to be a resend binds it to the resent verification's id.
    pub secret: String,
    /// Window end and prefix hint of a flash call.
    pub flash: Option<(DateTime<Utc>, String)>,
}
