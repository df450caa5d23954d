//! Integration tests of the storage adapters, one test binary: the storage story
//! on every backend, the schemas of both backends side by side, and PostgreSQL
//! outages. Tests that need PostgreSQL run when `PHONEGUARD_TEST_POSTGRES_URL`
//! is set (CI: `scripts/ci-services.sh`) and print a skip line otherwise; each
//! gets a database of its own, so they run in parallel.

mod dashboard;
mod ops_story;
mod outage;
mod pg;
mod schemas;
mod story;
mod verify_story;
