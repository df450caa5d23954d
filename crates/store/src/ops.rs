//! [`OpsStore`] on both backends: limit settings, daily usage, the audit log.

use chrono::{DateTime, NaiveDate, Utc};
use phoneguard_core::limits::LimitSettings;
use phoneguard_core::ops::{
    AuditEntry, OpsStore, SupplierCost, UsageDelta, day_of_index, day_start_ms,
};
use phoneguard_core::store::StoreResult;
use phoneguard_core::{ApiKey, StoreError};

use crate::sql::{from_ms, to_ms};
use crate::tenants::{ApiKeyRow, key_columns};

const DAY_MS: i64 = 86_400_000;

/// `YYYY-MM-DD`, the form days are stored in (sorts as it compares).
fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Other(format!("usage_daily.day {s:?}: {e}")))
}

/// The stored JSON of limit settings.
fn settings_json(s: &LimitSettings) -> Result<String, StoreError> {
    serde_json::to_string(s).map_err(|e| StoreError::Other(format!("limit settings: {e}")))
}

/// Limit settings from their stored JSON.
fn parse_settings(json: &str) -> Result<LimitSettings, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Other(format!("limit_settings.settings: {e}")))
}

#[derive(sqlx::FromRow)]
struct UsageRowDb {
    tenant_id: String,
    day: String,
    capability: String,
    calls: i64,
    billable: i64,
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
struct CostRowDb {
    tenant_id: String,
    d: i64,
    capability: String,
    calls: i64,
    cost_milli: i64,
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
struct AuditRowDb {
    id: i64,
    at: i64,
    actor: String,
    action: String,
    target: String,
    before_json: Option<String>,
    after_json: Option<String>,
    request_id: Option<String>,
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
fn state_json(v: Option<&serde_json::Value>) -> Option<String> {
    v.map(serde_json::Value::to_string)
}

/// Implements [`OpsStore`] for `$store` on backend `$d` (see [`crate::sql`]).
macro_rules! impl_ops_store {
    ($store:ty, $d:ident) => {
        #[async_trait::async_trait]
        impl OpsStore for $store {
            async fn get_api_key(&self, id: &str) -> StoreResult<Option<ApiKey>> {
                let row: Option<ApiKeyRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    key_columns!(),
                    " FROM api_keys WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }

            async fn get_limits(&self, subject_id: &str) -> StoreResult<Option<LimitSettings>> {
                let json: Option<String> =
                    sqlx::query_scalar("SELECT settings FROM limit_settings WHERE subject_id = $1")
                        .bind(subject_id)
                        .fetch_optional(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?;
                json.as_deref().map(parse_settings).transpose()
            }

            async fn put_limits(
                &self,
                subject_id: &str,
                settings: &LimitSettings,
                at: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO limit_settings (subject_id, settings, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (subject_id) DO UPDATE SET settings = excluded.settings, \
                     updated_at = excluded.updated_at",
                )
                .bind(subject_id)
                .bind(settings_json(settings)?)
                .bind(to_ms(at))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn add_usage(&self, deltas: &[UsageDelta]) -> StoreResult<()> {
                let mut conn = self.pool().acquire().await.map_err(crate::$d::map_err)?;
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(crate::$d::map_err)?;
                for d in deltas {
                    sqlx::query(
                        "INSERT INTO usage_daily (tenant_id, day, capability, calls, billable) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (tenant_id, day, capability) DO UPDATE SET \
                         calls = usage_daily.calls + excluded.calls, \
                         billable = usage_daily.billable + excluded.billable",
                    )
                    .bind(&d.tenant_id)
                    .bind(day_text(d.day))
                    .bind(&d.capability)
                    .bind(d.calls)
                    .bind(d.billable)
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::$d::map_err)?;
                }
                tx.commit().await.map_err(crate::$d::map_err)
            }

            async fn usage(
                &self,
                tenant_id: Option<&str>,
                from: NaiveDate,
                to: NaiveDate,
            ) -> StoreResult<Vec<UsageDelta>> {
                let rows: Vec<UsageRowDb> = sqlx::query_as(
                    "SELECT tenant_id, day, capability, calls, billable FROM usage_daily \
                     WHERE day >= $1 AND day <= $2 AND (CAST($3 AS TEXT) IS NULL OR tenant_id = $4) \
                     ORDER BY tenant_id, day, capability",
                )
                .bind(day_text(from))
                .bind(day_text(to))
                .bind(tenant_id)
                .bind(tenant_id)
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn supplier_costs(
                &self,
                tenant_id: Option<&str>,
                from: NaiveDate,
                to: NaiveDate,
            ) -> StoreResult<Vec<SupplierCost>> {
                let rows: Vec<CostRowDb> = sqlx::query_as(
                    "SELECT tenant_id, at / 86400000 AS d, capability, COUNT(*) AS calls, \
                     CAST(COALESCE(SUM(price_milli), 0) AS BIGINT) AS cost_milli FROM supplier_calls \
                     WHERE outcome = 'ok' AND at >= $1 AND at < $2 \
                     AND (CAST($3 AS TEXT) IS NULL OR tenant_id = $4) \
                     GROUP BY tenant_id, d, capability ORDER BY tenant_id, d, capability",
                )
                .bind(day_start_ms(from))
                .bind(day_start_ms(to) + DAY_MS)
                .bind(tenant_id)
                .bind(tenant_id)
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn insert_audit(&self, e: &AuditEntry) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (at, actor, action, target, before_json, after_json, \
                     request_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(to_ms(e.at))
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.target)
                .bind(state_json(e.before.as_ref()))
                .bind(state_json(e.after.as_ref()))
                .bind(&e.request_id)
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn list_audit(
                &self,
                limit: i64,
                before: Option<i64>,
            ) -> StoreResult<Vec<AuditEntry>> {
                let rows: Vec<AuditRowDb> = sqlx::query_as(
                    "SELECT id, at, actor, action, target, before_json, after_json, request_id \
                     FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(before.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}

impl_ops_store!(crate::sqlite::SqliteStore, sqlite);
impl_ops_store!(crate::postgres::PostgresStore, postgres);
