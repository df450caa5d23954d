//! Carrier one-tap in verifications: `channel: "carrier"` is decided at once
//! by a `carrier_auth` supplier's verdict on the number (approved, or failed
//! with the reason `rejected` / `unknown`); `channel: "auto"` with a carrier
//! token is approved on a pass and otherwise falls back to an SMS code in the
//! same verification (the carrier attempt stays in its attempts).
//!
//! The exchange itself is made by the caller (the server asks the supplier
//! router) and handed over as a [`CarrierStep`]; the token never reaches here.

use chrono::{DateTime, Utc};

use super::error::VerifyError;
use super::model::{Attempt, Channel, Delivery, Status, Verification};
use crate::suppliers::CarrierVerdict;

/// What the carrier exchange of a start gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrierStep {
    /// A supplier's verdict on the number.
    Verdict {
        /// PASS, REJECT or UNKNOWN.
        verdict: CarrierVerdict,
        /// The supplier that answered.
        supplier: String,
    },
    /// No supplier answered (outage); the text is for logs.
    Unavailable(String),
}

/// `rejected` or `unknown`: why a carrier attempt failed, kept as the
/// attempt's message reference (carrier attempts get no receipts).
pub fn failure_reason(a: &Attempt) -> Option<&str> {
    (a.channel == Channel::Carrier && a.delivery == Delivery::Failed)
        .then_some(a.message_ref.as_deref())
        .flatten()
}

fn attempt(
    v: &Verification,
    verdict: CarrierVerdict,
    supplier: &str,
    now: DateTime<Utc>,
) -> Attempt {
    let (delivery, reason) = match verdict {
        CarrierVerdict::Pass => (Delivery::Delivered, None),
        CarrierVerdict::Reject => (Delivery::Failed, Some("rejected")),
        CarrierVerdict::Unknown => (Delivery::Failed, Some("unknown")),
    };
    Attempt {
        seq: v.attempts.len() as u32 + 1,
        channel: Channel::Carrier,
        supplier: supplier.to_string(),
        sent_at: now,
        delivery,
        message_ref: reason.map(str::to_string),
        carrier: v.carrier.clone(),
    }
}

/// Applies the carrier step to a new verification. `Ok(true)`: it is decided
/// (approved or failed) and needs no code; `Ok(false)`: an SMS code follows
/// (`auto`, after a carrier attempt that did not pass, or an outage).
pub(crate) fn apply_step(
    v: &mut Verification,
    step: Option<&CarrierStep>,
    now: DateTime<Utc>,
) -> Result<bool, VerifyError> {
    let carrier_only = v.channel == Channel::Carrier;
    let Some(step) = step else {
        return if carrier_only {
            Err(VerifyError::invalid(
                "carrier_token",
                "channel carrier needs the carrier_token of the carrier SDK",
            ))
        } else {
            Ok(false)
        };
    };
    match step {
        CarrierStep::Unavailable(reason) if carrier_only => {
            Err(VerifyError::SupplierUnavailable(reason.clone()))
        }
        CarrierStep::Unavailable(reason) => {
            tracing::info!(verification = %v.id, error = %reason,
                "no carrier_auth supplier answered; auto falls back to SMS");
            Ok(false)
        }
        CarrierStep::Verdict { verdict, supplier } => {
            let a = attempt(v, *verdict, supplier, now);
            // Counted with the SMS sends: one attempt of channel carrier.
            metrics::counter!("phoneguard_verify_sends_total", "supplier" => supplier.clone(),
                "channel" => Channel::Carrier.as_str(), "outcome" => "ok")
            .increment(1);
            v.attempts.push(a);
            v.last_sent_at = now;
            if *verdict == CarrierVerdict::Pass {
                v.status = Status::Approved;
                Ok(true)
            } else if carrier_only {
                v.status = Status::Failed;
                Ok(true)
            } else {
                Ok(false)
            }
        }
    }
}
