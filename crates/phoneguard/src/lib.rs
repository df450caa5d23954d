//! The `phoneguard` binary's wiring: configuration, start-up and the CLI commands.
//! A library too, so integration tests start the real server in-process on port 0.
#![forbid(unsafe_code)]

pub mod config;
pub mod data;
pub mod fd_limit;
pub mod hash_secret;
pub mod limits_setup;
pub mod logging;
pub mod lookup;
pub mod risk_eval;
pub mod start;
