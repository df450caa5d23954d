//! One module per API area, each exposing `router()`; merged in [`crate::app`].

pub mod admin;
pub mod audit_admin;
pub mod compat_geyan;
pub mod compat_status;
pub mod identity;
pub mod limits_admin;
pub mod numbers;
pub mod ops;
pub mod receipts;
pub mod risk;
pub mod risk_admin;
pub mod sandbox;
pub mod sandbox_outbox;
pub mod suppliers_admin;
pub mod supply;
pub mod usage;
pub mod verifications;
