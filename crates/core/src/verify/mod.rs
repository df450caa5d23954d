//! Verification: proving a person holds a number, by a code sent by SMS or
//! read out by a voice call, or by a flash call.
//!
//! - [`model`]: channels, statuses, attempts, the verification record.
//! - [`port`]: [`VerifyStore`] (durable state: every decision of a check is one
//!   conditional statement, so nodes on one database agree) and
//!   [`MessageSender`] / [`MessagingDirectory`] (the suppliers), and the
//!   hot-state ports [`SendAdmission`] / [`VerifyHotState`].
//! - `memory`: [`SendWindows`], send admission in memory for one node.
//! - [`settings`]: `[verify]` of the configuration ([`VerifyConfig`]).
//! - [`select`]: the verification-code patent's failover (a terminal that did
//!   not enter its code gets the next one through another supplier) and the
//!   conversion-weighted choice.
//! - [`code`]: CSPRNG codes, their keyed hashes, message templates.
//! - [`outbox`]: the sandbox outbox and call log (memory only).
//! - [`VerifyService`]: start, resend, check, report, cancel, receipts, limits.

pub mod carrier;
pub mod check;
pub mod code;
mod deliver;
pub mod error;
mod fresh;
mod limits;
mod memory;
pub mod model;
pub mod outbox;
pub mod port;
mod resend;
pub mod select;
pub mod service;
pub mod settings;

pub use carrier::CarrierStep;
pub use check::CheckOutcome;
pub use code::TenantTemplates;
pub use error::VerifyError;
pub use memory::{SEED_WAIT, SendWindows};
pub use model::{Attempt, Channel, Delivery, Status, Verification, prefix_of};
pub use outbox::{Outbox, OutboxCall, OutboxMessage, SandboxReceipt};
pub use port::{
    Accepted, AppNames, CodeHasher, ConversionRow, MessageSender, MessagingDirectory,
    MessagingRoute, Outbound, ReceiptTarget, Refusal, Resend, SendAdmission, SendCount, SendLimit,
    SendRecord, SendScope, TerminalAttempt, VerifyHotState, VerifyStore,
};
pub use service::{StartRequest, VerifyService};
pub use settings::VerifyConfig;
