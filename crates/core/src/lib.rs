//! phoneguard's domain: types, errors, ports and the application services.
//!
//! This crate knows nothing of HTTP, SQL or any vendor. Adapters (`store`,
//! `suppliers`, `server`) depend on it, never the reverse.
#![forbid(unsafe_code)]

pub mod config;
pub mod dashboard;
pub mod devices;
pub mod geo;
pub mod ids;
pub mod limits;
pub mod net;
pub mod ops;
pub mod risk;
pub mod secrets;
pub mod store;
pub mod suppliers;
pub mod tenants;
pub mod twilio;
pub mod verify;

pub use store::{Store, StoreError};
pub use tenants::{ApiKey, KeyMode, Principal, Tenant, TenantStore};
