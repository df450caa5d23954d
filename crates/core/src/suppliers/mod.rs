//! Suppliers: the upstream vendors that answer questions about a number (line
//! status, tenure, portability, name/ID match) and, later, deliver messages.
//!
//! This module holds the domain side only: the capabilities and answers
//! ([`answers`]), supplier configuration ([`config`]), the errors a call can end
//! in ([`SupplierError`]), the ports ([`Supplier`], [`SupplierStore`]), the
//! credential cipher ([`crypto`]) and the validation of personal data
//! ([`identity`]). Adapters and the router live in the `phoneguard-suppliers` crate.

pub mod answers;
pub mod config;
pub mod crypto;
pub mod error;
pub mod identity;
pub mod port;
pub mod settings;

pub use answers::{
    Capability, FieldCheck, IdentityAnswer, LineStatus, MatchResult, PortabilityAnswer,
    StatusAnswer, TenureAnswer, TenureBucket,
};
pub use config::{SupplierConfig, SupplierPatch, validate_supplier_id};
pub use crypto::{CredentialCipher, CryptoError};
pub use error::SupplierError;
pub use identity::{IdentityQuery, Personal};
pub use port::{
    Answer, CallOutcome, CallRecord, CallStats, Query, SandboxSubscriber, Subject, Supplier,
    SupplierRecord, SupplierStore, TenantCapabilityCount,
};
pub use settings::{RouterConfig, SuppliersConfig};
