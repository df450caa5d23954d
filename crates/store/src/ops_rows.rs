//! Rows of the operations tables (limit settings, usage, audit) shared by both
//! backends, and their conversion to domain records.

use chrono::NaiveDate;
use phoneguard_core::StoreError;
use phoneguard_core::limits::LimitSettings;
use phoneguard_core::ops::{AuditEntry, SupplierCost, UsageDelta, day_of_index};

use crate::rows::from_ms;

/// `YYYY-MM-DD`, the form days are stored in (sorts as it compares).
pub(crate) fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Other(format!("usage_daily.day {s:?}: {e}")))
}

/// The stored JSON of limit settings.
pub(crate) fn settings_json(s: &LimitSettings) -> Result<String, StoreError> {
    serde_json::to_string(s).map_err(|e| StoreError::Other(format!("limit settings: {e}")))
}

/// Limit settings from their stored JSON.
pub(crate) fn parse_settings(json: &str) -> Result<LimitSettings, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Other(format!("limit_settings.settings: {e}")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct UsageRowDb {
    pub tenant_id: String,
    pub day: String,
    pub capability: String,
    pub calls: i64,
    pub billable: i64,
}

impl TryFrom<UsageRowDb> for UsageDelta {
    type Error = StoreError;
    fn try_from(r: UsageRowDb) -> Result<Self, StoreError> {
        Ok(UsageDelta {
            day: parse_day(&r.day)?,
            tenant_id: r.tenant_id,
            capability: r.capability,
            calls: r.calls,
            billable: r.billable,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CostRowDb {
    pub tenant_id: String,
    pub d: i64,
    pub capability: String,
    pub calls: i64,
    pub cost_milli: i64,
}

impl From<CostRowDb> for SupplierCost {
    fn from(r: CostRowDb) -> Self {
        SupplierCost {
            tenant_id: r.tenant_id,
            day: day_of_index(r.d),
            capability: r.capability,
            calls: r.calls,
            cost_milli: r.cost_milli,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRowDb {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub request_id: Option<String>,
}

fn parse_json(s: Option<String>) -> Option<serde_json::Value> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

impl From<AuditRowDb> for AuditEntry {
    fn from(r: AuditRowDb) -> Self {
        AuditEntry {
            id: r.id,
            at: from_ms(r.at),
            actor: r.actor,
            action: r.action,
            target: r.target,
            before: parse_json(r.before_json),
            after: parse_json(r.after_json),
            request_id: r.request_id,
        }
    }
}

/// The stored JSON of a before/after state.
pub(crate) fn state_json(v: Option<&serde_json::Value>) -> Option<String> {
    v.map(serde_json::Value::to_string)
}
