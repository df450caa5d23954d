//! One module per API area, each exposing `router()`; merged in [`crate::app`].

pub mod admin;
pub mod compat_geyan;
pub mod numbers;
pub mod ops;
pub mod risk;
pub mod risk_admin;
