//! Integration tests of the storage adapters, one test binary: the storage story
//! on every backend, the schemas of both backends side by side, and PostgreSQL
//! outages. Tests that need PostgreSQL are `#[ignore]`d: with
//! `PHONEGUARD_TEST_POSTGRES_URL` set (`eval "$(scripts/ci-services.sh)"`),
//! `cargo test --workspace -- --include-ignored` runs them, as CI does; each gets
//! a database of its own, so they run in parallel.

mod dashboard;
mod ops_story;
mod outage;
mod pg;
mod pg_conns;
mod schemas;
mod story;
mod verify_story;
