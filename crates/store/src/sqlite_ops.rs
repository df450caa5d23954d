//! [`OpsStore`] on SQLite: limit settings, daily usage, the audit log.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use phoneguard_core::ApiKey;
use phoneguard_core::limits::LimitSettings;
use phoneguard_core::ops::{AuditEntry, OpsStore, SupplierCost, UsageDelta, day_start_ms};
use phoneguard_core::store::StoreResult;

use crate::ops_rows::{
    AuditRowDb, CostRowDb, UsageRowDb, day_text, parse_settings, settings_json, state_json,
};
use crate::rows::{ApiKeyRow, map_err, to_ms};
use crate::sqlite::SqliteStore;

const DAY_MS: i64 = 86_400_000;

#[async_trait]
impl OpsStore for SqliteStore {
    async fn get_api_key(&self, id: &str) -> StoreResult<Option<ApiKey>> {
        let row: Option<ApiKeyRow> = sqlx::query_as(
            "SELECT id, tenant_id, mode, hash, hint, created_at, revoked_at FROM api_keys WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(self.readers())
        .await
        .map_err(map_err)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn get_limits(&self, subject_id: &str) -> StoreResult<Option<LimitSettings>> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT settings FROM limit_settings WHERE subject_id = ?")
                .bind(subject_id)
                .fetch_optional(self.readers())
                .await
                .map_err(map_err)?;
        json.as_deref().map(parse_settings).transpose()
    }

    async fn put_limits(
        &self,
        subject_id: &str,
        settings: &LimitSettings,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO limit_settings (subject_id, settings, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (subject_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        )
        .bind(subject_id)
        .bind(settings_json(settings)?)
        .bind(to_ms(at))
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn add_usage(&self, deltas: &[UsageDelta]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        for d in deltas {
            sqlx::query(
                "INSERT INTO usage_daily (tenant_id, day, capability, calls, billable) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (tenant_id, day, capability) DO UPDATE SET \
                 calls = usage_daily.calls + excluded.calls, billable = usage_daily.billable + excluded.billable",
            )
            .bind(&d.tenant_id)
            .bind(day_text(d.day))
            .bind(&d.capability)
            .bind(d.calls)
            .bind(d.billable)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn usage(
        &self,
        tenant_id: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<UsageDelta>> {
        let rows: Vec<UsageRowDb> = sqlx::query_as(
            "SELECT tenant_id, day, capability, calls, billable FROM usage_daily \
             WHERE day >= ? AND day <= ? AND (? IS NULL OR tenant_id = ?) \
             ORDER BY tenant_id, day, capability",
        )
        .bind(day_text(from))
        .bind(day_text(to))
        .bind(tenant_id)
        .bind(tenant_id)
        .fetch_all(self.readers())
        .await
        .map_err(map_err)?;
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
             COALESCE(SUM(price_milli), 0) AS cost_milli FROM supplier_calls \
             WHERE outcome = 'ok' AND at >= ? AND at < ? AND (? IS NULL OR tenant_id = ?) \
             GROUP BY tenant_id, d, capability ORDER BY tenant_id, d, capability",
        )
        .bind(day_start_ms(from))
        .bind(day_start_ms(to) + DAY_MS)
        .bind(tenant_id)
        .bind(tenant_id)
        .fetch_all(self.readers())
        .await
        .map_err(map_err)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn insert_audit(&self, e: &AuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, target, before_json, after_json, request_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        .map_err(map_err)?;
        Ok(())
    }

    async fn list_audit(&self, limit: i64, before: Option<i64>) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<AuditRowDb> = sqlx::query_as(
            "SELECT id, at, actor, action, target, before_json, after_json, request_id FROM audit_log \
             WHERE id < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.readers())
        .await
        .map_err(map_err)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
