//! [`RiskStore`] on both backends: risk results, kept until they expire.

use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::risk::{DeviceSummary, RiskRecord, RiskStore};
use phoneguard_core::store::StoreResult;

use crate::sql::{from_ms, to_ms};

mod direct;
pub(crate) mod postgres;
pub(crate) mod sqlite;

/// The columns of `risk_results`, in the order of [`RiskRow`].
macro_rules! columns {
    () => {
        "token, tenant_id, kind, level, decision, risk_types, reasons, score, device_hash, \
         account_hash, created_at, expires_at, ip_hash"
    };
}
use columns;

#[derive(sqlx::FromRow)]
struct RiskRow {
    token: String,
    tenant_id: String,
    kind: String,
    level: i32,
    decision: String,
    risk_types: String,
    reasons: String,
    score: i64,
    device_hash: Option<String>,
    account_hash: String,
    created_at: i64,
    expires_at: i64,
    ip_hash: Option<String>,
}

impl TryFrom<RiskRow> for RiskRecord {
    type Error = StoreError;
    fn try_from(r: RiskRow) -> Result<Self, StoreError> {
        let bad = |what: &str, e: serde_json::Error| {
            StoreError::Other(format!("risk_results.{what} of {}: {e}", r.token))
        };
        Ok(RiskRecord {
            risk_types: serde_json::from_str(&r.risk_types).map_err(|e| bad("risk_types", e))?,
            reasons: serde_json::from_str(&r.reasons).map_err(|e| bad("reasons", e))?,
            level: u8::try_from(r.level)
                .map_err(|_| StoreError::Other(format!("risk_results.level {}", r.level)))?,
            token: r.token,
            tenant_id: r.tenant_id,
            kind: r.kind,
            decision: r.decision,
            score: r.score,
            device_hash: r.device_hash,
            account_hash: r.account_hash,
            ip_hash: r.ip_hash,
            created_at: from_ms(r.created_at),
            expires_at: from_ms(r.expires_at),
        })
    }
}

/// The stored JSON of a result's risk types and reasons.
fn json_fields(r: &RiskRecord) -> StoreResult<(String, String)> {
    let types =
        serde_json::to_string(&r.risk_types).map_err(|e| StoreError::Other(e.to_string()))?;
    let reasons =
        serde_json::to_string(&r.reasons).map_err(|e| StoreError::Other(e.to_string()))?;
    Ok((types, reasons))
}

/// Implements [`RiskStore`] for `$store` on backend `$d` (see [`crate::sql`]).
macro_rules! impl_risk_store {
    ($store:ty, $d:ident) => {
        #[async_trait::async_trait]
        impl RiskStore for $store {
            async fn insert_risk_result(&self, r: &RiskRecord) -> StoreResult<()> {
                $d::insert(self, r).await
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
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }

            async fn device_summary(
                &self,
                tenant_id: &str,
                device_hash: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<DeviceSummary>> {
                let mut c = $d::snapshot(self).await?;
                let latest: Option<RiskRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM risk_results WHERE tenant_id = $1 AND device_hash = $2 AND expires_at > $3 \
                     ORDER BY created_at DESC, token",
                    bytewise!($d),
                    " DESC LIMIT 1"
                ))
                .bind(tenant_id)
                .bind(device_hash)
                .bind(to_ms(now))
                .fetch_optional(&mut *c)
                .await
                .map_err(crate::$d::map_err)?;
                let Some(latest) = latest else {
                    return Ok(None);
                };
                let (first, accounts, ips, events): (i64, i64, i64, i64) = sqlx::query_as(
                    "SELECT MIN(created_at), COUNT(DISTINCT account_hash), COUNT(DISTINCT ip_hash), \
                     COUNT(*) FROM risk_results \
                     WHERE tenant_id = $1 AND device_hash = $2 AND expires_at > $3",
                )
                .bind(tenant_id)
                .bind(device_hash)
                .bind(to_ms(now))
                .fetch_one(&mut *c)
                .await
                .map_err(crate::$d::map_err)?;
                $d::end_snapshot(c).await?;
                Ok(Some(DeviceSummary {
                    latest: latest.try_into()?,
                    first_seen: from_ms(first),
                    accounts,
                    ips,
                    events,
                }))
            }

            async fn purge_risk_results(&self, now: DateTime<Utc>) -> StoreResult<u64> {
                let done = sqlx::query("DELETE FROM risk_results WHERE expires_at <= $1")
                    .bind(to_ms(now))
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(done.rows_affected())
            }
        }
    };
}

impl_risk_store!(crate::sqlite::SqliteStore, sqlite);
impl_risk_store!(crate::postgres::PostgresStore, postgres);
