//! Integration tests: the real server on port 0, called over HTTP.

mod admin;
mod bootstrap;
mod cli;
mod errors;
mod harness;
mod numbers;
mod ops;
mod risk;
