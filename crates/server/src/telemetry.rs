//! Prometheus series that the HTTP edge owns, and the helpers other modules
//! call to count into them. Labels are route templates, tenant ids, supplier
//! ids and codes: never numbers, keys or raw paths.
//!
//! Series of the whole process:
//! - `phoneguard_http_requests_total{route,method,status,tenant}`,
//!   `phoneguard_http_request_duration_seconds{route,method}` (here);
//! - `phoneguard_supplier_calls_total{supplier,capability,outcome}`,
//!   `phoneguard_supplier_call_duration_seconds{supplier,capability,outcome}` (the router);
//! - `phoneguard_supplier_breaker_state{supplier}`: 0 closed, 1 half open, 2 open (here, at scrape);
//! - `phoneguard_verify_started_total{channel,outcome}`, `phoneguard_verify_sends_total{supplier,channel,outcome}`,
//!   `phoneguard_verify_receipts_total{supplier,delivery}`, `phoneguard_verify_checks_total{result}`:
//!   the verification funnel (started → sent → delivered → approved);
//! - `phoneguard_risk_decisions_total{kind,level}`;
//! - `phoneguard_rate_limited_total{capability,kind}` ([`rate_limited`]).

use std::sync::{Arc, OnceLock};

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

use crate::state::AppState;

/// Name of the counter of requests refused by a rate limit or a quota.
pub const RATE_LIMITED: &str = "phoneguard_rate_limited_total";

/// Counts one request refused by a limit: `capability` is `lookup`, `status`,
/// `identity`, `verify` or `risk`; `kind` is `rate` (429 `rate_limited`) or
/// `quota` (429 `quota_exceeded`).
pub fn rate_limited(capability: &'static str, kind: &'static str) {
    metrics::counter!(RATE_LIMITED, "capability" => capability, "kind" => kind).increment(1);
}

/// The tenant a request was made for, noted by the auth extractors and read by
/// the metrics middleware (`-` for unauthenticated requests, `admin` for the
/// admin token).
#[derive(Clone, Default)]
pub struct TenantSlot(Arc<OnceLock<String>>);

impl TenantSlot {
    /// Notes the tenant (the first note wins).
    pub fn set(&self, tenant: &str) {
        let _ = self.0.set(tenant.to_owned());
    }

    /// The tenant noted, or `-`.
    pub fn label(&self) -> String {
        self.0.get().cloned().unwrap_or_else(|| "-".to_owned())
    }
}

/// Sets the gauges that are read at scrape time: each supplier's breaker.
pub fn refresh_gauges(state: &AppState) {
    let router = state.suppliers.router();
    for route in router.routes().iter() {
        let id = &route.config.id;
        let value = match router.health(id).map(|h| h.breaker) {
            Some("open") => 2.0,
            Some("half_open") => 1.0,
            _ => 0.0,
        };
        metrics::gauge!("phoneguard_supplier_breaker_state", "supplier" => id.clone()).set(value);
    }
}

/// Writes the `# HELP` lines of the series (once per process).
pub fn describe() {
    describe_counter!(
        "phoneguard_http_requests_total",
        "HTTP requests by route template, method, status and tenant."
    );
    describe_histogram!(
        "phoneguard_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by route template and method."
    );
    describe_counter!(
        "phoneguard_supplier_calls_total",
        "Supplier calls by supplier, capability and outcome."
    );
    describe_histogram!(
        "phoneguard_supplier_call_duration_seconds",
        Unit::Seconds,
        "Supplier call latency by supplier, capability and outcome."
    );
    describe_gauge!(
        "phoneguard_supplier_breaker_state",
        "Circuit breaker of each supplier on this node: 0 closed, 1 half open, 2 open."
    );
    describe_counter!(
        "phoneguard_verify_started_total",
        "Verifications started, by requested channel and outcome (pending, failed)."
    );
    describe_counter!(
        "phoneguard_verify_sends_total",
        "Codes and calls handed to suppliers, by supplier, channel and outcome."
    );
    describe_counter!(
        "phoneguard_verify_receipts_total",
        "Delivery receipts, by supplier and delivery."
    );
    describe_counter!(
        "phoneguard_verify_checks_total",
        "Code checks, by result (approved, wrong)."
    );
    describe_counter!(
        "phoneguard_risk_decisions_total",
        "Risk assessments by kind and level (0-4)."
    );
    describe_counter!(
        RATE_LIMITED,
        "Requests refused by a rate limit or quota, by capability and kind (rate, quota)."
    );
}
