//! Risk results on PostgreSQL (same rows as on SQLite).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::risk::{DeviceSummary, RiskRecord, RiskStore};
use phoneguard_core::store::StoreResult;

use crate::postgres::{PostgresStore, map_err};
use crate::rows::{from_ms, to_ms};
use crate::sqlite_risk::RiskRow;

/// The columns of `risk_results`, in the order of [`RiskRow`] (`level` is an
/// INTEGER, read as the row's i64).
macro_rules! columns {
    () => {
        "token, tenant_id, kind, level::BIGINT AS level, decision, risk_types, reasons, score, device_hash, account_hash, created_at, expires_at"
    };
}

#[async_trait]
impl RiskStore for PostgresStore {
    async fn insert_risk_result(&self, r: &RiskRecord) -> StoreResult<()> {
        let types =
            serde_json::to_string(&r.risk_types).map_err(|e| StoreError::Other(e.to_string()))?;
        let reasons =
            serde_json::to_string(&r.reasons).map_err(|e| StoreError::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO risk_results (token, tenant_id, kind, level, decision, risk_types, reasons, \
             score, device_hash, account_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&r.token)
        .bind(&r.tenant_id)
        .bind(&r.kind)
        .bind(i32::from(r.level))
        .bind(&r.decision)
        .bind(types)
        .bind(reasons)
        .bind(r.score)
        .bind(&r.device_hash)
        .bind(&r.account_hash)
        .bind(to_ms(r.created_at))
        .bind(to_ms(r.expires_at))
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_risk_result(
        &self,
        tenant_id: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<RiskRecord>> {
        let row: Option<RiskRow> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM risk_results WHERE token = $1 AND tenant_id = $2 AND expires_at > $3"
        ))
        .bind(token)
        .bind(tenant_id)
        .bind(to_ms(now))
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn device_summary(
        &self,
        tenant_id: &str,
        device_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DeviceSummary>> {
        // One snapshot for both reads, so the latest result is among those counted.
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let latest: Option<RiskRow> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM risk_results WHERE tenant_id = $1 AND device_hash = $2 AND expires_at > $3 \
             ORDER BY created_at DESC, token COLLATE \"C\" DESC LIMIT 1"
        ))
        .bind(tenant_id)
        .bind(device_hash)
        .bind(to_ms(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(latest) = latest else {
            return Ok(None);
        };
        let (first, accounts, events): (i64, i64, i64) = sqlx::query_as(
            "SELECT MIN(created_at), COUNT(DISTINCT account_hash), COUNT(*) FROM risk_results \
             WHERE tenant_id = $1 AND device_hash = $2 AND expires_at > $3",
        )
        .bind(tenant_id)
        .bind(device_hash)
        .bind(to_ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(Some(DeviceSummary {
            latest: latest.try_into()?,
            first_seen: from_ms(first),
            accounts,
            events,
        }))
    }

    async fn purge_risk_results(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM risk_results WHERE expires_at <= $1")
            .bind(to_ms(now))
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}
