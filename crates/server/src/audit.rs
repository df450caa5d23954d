//! Recording admin changes in the audit log: who (the admin token), what
//! (action, target), when, and the state before and after with secrets
//! redacted (see [`phoneguard_core::ops::redact`]).

use chrono::Utc;
use phoneguard_core::ops::{AuditEntry, redact};
use serde::Serialize;
use serde_json::Value;

use crate::state::AppState;

/// The actor of changes made with the admin token.
pub const ADMIN_ACTOR: &str = "admin";
/// The actor of changes made in a dashboard session (logged in with the admin token).
pub const DASHBOARD_ACTOR: &str = "dashboard";

/// A record's JSON form, for `before` / `after`.
pub fn state(v: &impl Serialize) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// Appends an entry for a change made with the admin token (see [`record_by`]).
pub async fn record(
    s: &AppState,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) {
    record_by(s, ADMIN_ACTOR, action, target, before, after).await;
}

/// Appends an entry for a change that `actor` has made. A failure to write it
/// is logged and counted (`phoneguard_audit_failures_total`), not answered: the
/// change itself stands.
pub async fn record_by(
    s: &AppState,
    actor: &str,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) {
    let entry = AuditEntry {
        id: 0,
        at: Utc::now(),
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        before: before.as_ref().map(redact),
        after: after.as_ref().map(redact),
        request_id: crate::limits::request_id(),
    };
    if let Err(e) = s.store().insert_audit(&entry).await {
        metrics::counter!("phoneguard_audit_failures_total").increment(1);
        tracing::error!(error = %e, action, target, "audit entry not written");
    }
}
