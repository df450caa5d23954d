//! Tenants, API keys and admin authentication.
//!
//! [`Tenants`] manages them through the [`Store`](crate::Store) port and
//! resolves a presented API key to its [`Principal`] on every request from a
//! per-node cache (`memory`: keyed hashes only, a short TTL, immediate
//! invalidation on revoke on this node).

mod memory;
mod model;
mod port;
mod service;

pub use model::{ApiKey, IssuedKey, KeyMode, Principal, Tenant, TenantError};
pub use port::TenantStore;
pub use service::{META_ADMIN_TOKEN_HASH, Tenants};
