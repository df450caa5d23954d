//! The codes of verifications: enums of `core` (which carries no schema),
//! named in the answer types' `#[schema(value_type = …)]`.

use serde::Serialize;
use utoipa::ToSchema;

/// How a code (or a call) reaches the phone.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelCode {
    /// A text message with the code.
    Sms,
    /// A call reading the code out.
    Voice,
    /// A missed call from a chosen number; the app reports what called it.
    FlashCall,
    /// Flash call first, SMS after the flash-call window.
    Auto,
}

/// Where a verification stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Waiting for the code (or the flash-call report).
    Pending,
    /// The right code was entered.
    Approved,
    /// Canceled, or replaced by a newer verification.
    Canceled,
    /// Its time ran out.
    Expired,
    /// Too many wrong checks.
    MaxAttemptsReached,
    /// No supplier could deliver.
    Failed,
}

/// Delivery of one attempt, as last reported.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryCode {
    /// Accepted by the supplier, no receipt yet.
    Sent,
    /// Reached the phone.
    Delivered,
    /// Did not reach the phone.
    Failed,
}
