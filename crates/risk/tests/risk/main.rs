//! Behaviour of the risk engine, one test binary for the crate.

mod common;
mod counters;
mod features;
mod props;
mod rules;
mod rules_file;
mod seed;
mod validation;
mod velocity;
