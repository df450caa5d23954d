//! Suppliers: the upstream vendors that answer questions about a number (line
//! status, tenure, portability, name/ID match) and, later, deliver messages.
//!
//! This module holds the domain side only: the capabilities, answers and
//! records (`model`), the ports ([`Supplier`], [`SupplierStore`]), supplier
//! configuration and the `[router]` section (`settings`), the errors a call can
//! end in ([`SupplierError`]), the credential cipher (`crypto`) and the rules of
//! personal data ([`identity`]). Adapters and the router (the service) live in
//! the `phoneguard-suppliers` crate.

pub mod access_keys;
pub mod carrier;
mod crypto;
mod error;
pub mod identity;
mod model;
mod port;
mod settings;

pub use carrier::{CarrierAnswer, CarrierQuery, CarrierToken, CarrierVerdict, TokenProblem};
pub use crypto::{CredentialCipher, CryptoError};
pub use error::SupplierError;
pub use identity::{IdentityQuery, Personal};
pub use model::{
    Answer, CallOutcome, CallRecord, CallStats, Capability, FieldCheck, IdentityAnswer, LineStatus,
    MatchResult, PortabilityAnswer, Query, SandboxSubscriber, StatusAnswer, Subject,
    SupplierRecord, TenantCapabilityCount, TenureAnswer, TenureBucket,
};
pub use port::{CallLog, Supplier, SupplierStore};
pub use settings::{
    RouterConfig, SupplierConfig, SupplierPatch, SuppliersConfig, validate_supplier_id,
};
