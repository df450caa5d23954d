//! Integration tests: the real server on port 0, called over HTTP.

mod admin;
mod backend;
mod bootstrap;
mod cli;
mod compat_status;
mod errors;
mod harness;
mod identity;
mod nodes;
mod numbers;
mod ops;
mod outage;
mod risk;
mod routing;
mod sandbox;
mod suppliers;
mod verify_durability;
mod verify_failover;
mod verify_flash;
mod verify_flow;
mod verify_limits;
mod verify_props;
mod verify_support;
