//! One module per API area, each exposing `router()`; merged in [`crate::app`].

pub mod admin;
pub mod numbers;
pub mod ops;
