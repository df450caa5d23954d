//! What the risk area keeps and answers: results, reasons, device summaries,
//! and the phone facts an event is assessed with.

use chrono::{DateTime, Utc};
use phoneguard_numbering::{NumberTable, lookup};
use phoneguard_risk::{EventKind, PhoneFacts, PnKind};
use serde::{Deserialize, Serialize};

/// A risk result as kept: no account, IP or device in clear (keyed hashes only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskRecord {
    /// `rk_…`, unguessable; the caller reads the result back with it.
    pub token: String,
    /// Owner.
    pub tenant_id: String,
    /// `register` or `login`.
    pub kind: String,
    /// 0–4.
    pub level: u8,
    /// `allow`, `review`, `deny`.
    pub decision: String,
    /// Risk types, most contributing first.
    pub risk_types: Vec<u8>,
    /// Rules that fired.
    pub reasons: Vec<RiskReason>,
    /// Total score.
    pub score: i64,
    /// Keyed hash of the event's device id, if any.
    #[serde(skip)]
    pub device_hash: Option<String>,
    /// Keyed hash of the account.
    #[serde(skip)]
    pub account_hash: String,
    /// Keyed hash of the network the event came from (an IPv4 address, an
    /// IPv6 /64); `None` without a valid `ip`.
    #[serde(skip)]
    pub ip_hash: Option<String>,
    /// When it was assessed.
    pub created_at: DateTime<Utc>,
    /// When it is deleted.
    pub expires_at: DateTime<Utc>,
}

/// One rule that fired, as kept and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskReason {
    /// The rule id (`ip_velocity`, `common_password`, …).
    pub code: String,
    /// 1 account, 2 network, 3 device, 4 behaviour.
    pub risk_type: u8,
    /// The rule's reason, filled in (`23 registrations from this IP in 1h`).
    pub detail: String,
    /// What it added to the score.
    pub score: i64,
}

/// What is known of one device across its events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceSummary {
    /// The latest result of the device.
    pub latest: RiskRecord,
    /// Its first event.
    pub first_seen: DateTime<Utc>,
    /// Distinct accounts seen on it.
    pub accounts: i64,
    /// Distinct networks its events came from (an IPv4 address, an IPv6 /64).
    pub ips: i64,
    /// Events seen.
    pub events: i64,
}

/// Whether a status supplier was asked about the event's phone, and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineCheck {
    /// Not asked (turned off, or `pn` is absent or an MD5).
    NotAsked,
    /// The line status code (`normal`, `suspended`, …).
    Status(String),
    /// Asked, but no supplier answered in time: assessed without it, and said so.
    Unavailable,
}

/// `register` / `login` as the engine's kind.
pub fn kind_of(s: &str) -> Option<EventKind> {
    match s {
        "register" => Some(EventKind::Register),
        "login" => Some(EventKind::Login),
        _ => None,
    }
}

/// What the number table says of the event's `pn` when it is a plain number
/// (an MD5 or nothing tells nothing: the defaults raise no risk).
pub fn phone_facts(numbers: &NumberTable, pn: Option<&str>) -> PhoneFacts {
    let Some(pn) = pn.filter(|p| PnKind::of(Some(p)) == PnKind::Number) else {
        return PhoneFacts::default();
    };
    match lookup(numbers, pn) {
        Ok(info) => PhoneFacts {
            valid: info.valid,
            network: info
                .carrier
                .as_ref()
                .map(|c| c.network.as_str().to_string()),
            allocated: true,
            carrier: info
                .carrier
                .as_ref()
                .and_then(|c| c.code)
                .map(|c| c.code().to_string()),
            line_status: None,
        },
        Err(e) => PhoneFacts {
            valid: false,
            allocated: e.code() != "unallocated_segment",
            ..PhoneFacts::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_facts_come_from_the_number_table() {
        let t = NumberTable::embedded();
        let f = phone_facts(t, Some("17012345678"));
        assert_eq!(
            (f.valid, f.network.as_deref(), f.carrier.as_deref()),
            (true, Some("mvno"), Some("ctcc"))
        );
        let f = phone_facts(t, Some("10012345678"));
        assert!(!f.valid && !f.allocated);
        assert_eq!(
            phone_facts(t, Some("6E3652F544C1352516CF1997039F0660")),
            PhoneFacts::default(),
            "an MD5 tells nothing"
        );
        assert_eq!(phone_facts(t, None), PhoneFacts::default());
    }
}
