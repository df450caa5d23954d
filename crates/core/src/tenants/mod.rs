//! Tenants, API keys and admin authentication.
//!
//! [`Tenants`] manages them through the [`Store`](crate::Store) port and
//! resolves a presented API key to its [`Principal`] on every request from a
//! per-node cache (`memory`: keyed hashes only, a short TTL, immediate
//! invalidation on revoke on this node).

mod memory;
mod model;
mod service;

pub use crate::model::Principal;
pub use model::{IssuedKey, TenantError};
pub use service::{META_ADMIN_TOKEN_HASH, Tenants};
