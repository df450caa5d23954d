//! [`phoneguard_core::dashboard::DashboardStore`] on both backends (see
//! [`crate::sql`] for how an area shares its SQL).

use phoneguard_core::StoreError;
use phoneguard_core::dashboard::RiskPoint;

use crate::sql::from_ms;

/// Deletes expired sessions.
pub(crate) const PURGE_SESSIONS: &str = "DELETE FROM dashboard_sessions WHERE expires_at <= $1";
/// Inserts a session.
pub(crate) const INSERT_SESSION: &str =
    "INSERT INTO dashboard_sessions (id_hash, created_at, expires_at) VALUES ($1, $2, $3)";
/// An unexpired session.
pub(crate) const GET_SESSION: &str = "SELECT id_hash, created_at, expires_at FROM dashboard_sessions \
     WHERE id_hash = $1 AND expires_at > $2";
/// Logout.
pub(crate) const DELETE_SESSION: &str = "DELETE FROM dashboard_sessions WHERE id_hash = $1";
/// Every session (the admin token changed).
pub(crate) const DELETE_ALL_SESSIONS: &str = "DELETE FROM dashboard_sessions";
/// Supplier calls, newest first.
pub(crate) const CALL_POINTS: &str = "SELECT at, tenant_id, supplier_id, capability, outcome, latency_us \
     FROM supplier_calls WHERE at >= $1 ORDER BY at DESC LIMIT $2";
/// Verifications by channel.
pub(crate) const FUNNEL_BY_CHANNEL: &str = "SELECT v.channel, CAST(COUNT(*) AS BIGINT), \
     CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM verify_attempts d WHERE d.verification_id = v.id \
     AND d.delivery = 'delivered') THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN v.status = 'approved' THEN 1 ELSE 0 END) AS BIGINT) \
     FROM verifications v WHERE v.created_at >= $1 GROUP BY v.channel ORDER BY v.channel";
/// Attempts by supplier and channel; a failover is an attempt whose previous
/// attempt went through another supplier (an SMS after a carrier attempt that
/// did not pass is `auto` changing channel, not a failover). A carrier pass
/// is delivered and entered (see `entered_at_once`).
pub(crate) const FUNNEL_BY_SUPPLIER: &str = "SELECT a.supplier_id, a.channel, CAST(COUNT(*) AS BIGINT), \
     CAST(SUM(CASE WHEN a.delivery = 'delivered' THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN a.entered <> 0 THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM verify_attempts p WHERE p.verification_id = a.verification_id \
     AND p.seq = a.seq - 1 AND p.supplier_id <> a.supplier_id AND p.channel <> 'carrier') \
     THEN 1 ELSE 0 END) AS BIGINT) \
     FROM verify_attempts a WHERE a.sent_at >= $1 GROUP BY a.supplier_id, a.channel \
     ORDER BY a.supplier_id, a.channel";
/// Attempts and codes entered by supplier and carrier.
pub(crate) const CONVERSION_BY_CARRIER: &str = "SELECT supplier_id, carrier, CAST(COUNT(*) AS BIGINT), \
     CAST(SUM(CASE WHEN entered <> 0 THEN 1 ELSE 0 END) AS BIGINT) FROM verify_attempts \
     WHERE sent_at >= $1 GROUP BY supplier_id, carrier ORDER BY supplier_id, carrier";
/// Risk results, newest first.
pub(crate) const RISK_POINTS: &str = "SELECT created_at, CAST(level AS BIGINT), reasons, device_hash \
     FROM risk_results WHERE created_at >= $1 ORDER BY created_at DESC LIMIT $2";
/// IP hashes with the most sends.
pub(crate) const TOP_SEND_IPS: &str = "SELECT ip_hash, CAST(COUNT(*) AS BIGINT) AS n FROM verify_sends \
     WHERE at >= $1 AND ip_hash IS NOT NULL GROUP BY ip_hash ORDER BY n DESC, ip_hash LIMIT $2";

/// A row of [`RISK_POINTS`] as a [`RiskPoint`].
pub(crate) fn risk_point(
    (at, level, reasons, device_hash): (i64, i64, String, Option<String>),
) -> Result<RiskPoint, StoreError> {
    Ok(RiskPoint {
        at: from_ms(at),
        level: u8::try_from(level)
            .map_err(|_| StoreError::Other(format!("risk_results.level {level} out of range")))?,
        reasons: serde_json::from_str(&reasons)
            .map_err(|e| StoreError::Other(format!("risk_results.reasons is not valid: {e}")))?,
        device_hash,
    })
}

/// Implements [`phoneguard_core::dashboard::DashboardStore`] for `$store` on
/// backend `$d` (see [`crate::sql`]).
macro_rules! impl_dashboard_store {
    ($store:ty, $d:ident) => {
        #[async_trait::async_trait]
        impl phoneguard_core::dashboard::DashboardStore for $store {
            async fn insert_dashboard_session(
                &self,
                s: &phoneguard_core::dashboard::DashboardSession,
            ) -> phoneguard_core::store::StoreResult<()> {
                use crate::dashboard as q;
                use crate::sql::to_ms;
                let mut conn = self.pool().acquire().await.map_err(crate::$d::map_err)?;
                let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(crate::$d::map_err)?;
                sqlx::query(q::PURGE_SESSIONS)
                    .bind(to_ms(s.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::$d::map_err)?;
                sqlx::query(q::INSERT_SESSION)
                    .bind(&s.id_hash)
                    .bind(to_ms(s.created_at))
                    .bind(to_ms(s.expires_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::$d::map_err)?;
                tx.commit().await.map_err(crate::$d::map_err)
            }

            async fn get_dashboard_session(
                &self,
                id_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> phoneguard_core::store::StoreResult<
                Option<phoneguard_core::dashboard::DashboardSession>,
            > {
                use crate::sql::{from_ms, to_ms};
                let row: Option<(String, i64, i64)> = sqlx::query_as(crate::dashboard::GET_SESSION)
                    .bind(id_hash)
                    .bind(to_ms(now))
                    .fetch_optional(self.readers())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(row.map(
                    |(id_hash, c, e)| phoneguard_core::dashboard::DashboardSession {
                        id_hash,
                        created_at: from_ms(c),
                        expires_at: from_ms(e),
                    },
                ))
            }

            async fn delete_dashboard_session(
                &self,
                id_hash: &str,
            ) -> phoneguard_core::store::StoreResult<()> {
                sqlx::query(crate::dashboard::DELETE_SESSION)
                    .bind(id_hash)
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn delete_all_dashboard_sessions(
                &self,
            ) -> phoneguard_core::store::StoreResult<u64> {
                let done = sqlx::query(crate::dashboard::DELETE_ALL_SESSIONS)
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(done.rows_affected())
            }

            async fn call_points(
                &self,
                since: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> phoneguard_core::store::StoreResult<Vec<phoneguard_core::dashboard::CallPoint>>
            {
                use crate::sql::{from_ms, to_ms};
                let rows: Vec<(i64, String, String, String, String, i64)> =
                    sqlx::query_as(crate::dashboard::CALL_POINTS)
                        .bind(to_ms(since))
                        .bind(limit)
                        .fetch_all(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(at, tenant_id, supplier_id, capability, outcome, latency_us)| {
                        phoneguard_core::dashboard::CallPoint {
                            at: from_ms(at),
                            tenant_id,
                            supplier_id,
                            capability,
                            outcome,
                            latency_us,
                        }
                    })
                    .collect())
            }

            async fn funnel_by_channel(
                &self,
                since: chrono::DateTime<chrono::Utc>,
            ) -> phoneguard_core::store::StoreResult<
                Vec<phoneguard_core::dashboard::ChannelFunnel>,
            > {
                let rows: Vec<(String, i64, i64, i64)> =
                    sqlx::query_as(crate::dashboard::FUNNEL_BY_CHANNEL)
                        .bind(crate::sql::to_ms(since))
                        .fetch_all(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(channel, started, delivered, approved)| {
                        phoneguard_core::dashboard::ChannelFunnel {
                            channel,
                            started,
                            delivered,
                            approved,
                        }
                    })
                    .collect())
            }

            async fn funnel_by_supplier(
                &self,
                since: chrono::DateTime<chrono::Utc>,
            ) -> phoneguard_core::store::StoreResult<
                Vec<phoneguard_core::dashboard::SupplierFunnel>,
            > {
                let rows: Vec<(String, String, i64, i64, i64, i64)> =
                    sqlx::query_as(crate::dashboard::FUNNEL_BY_SUPPLIER)
                        .bind(crate::sql::to_ms(since))
                        .fetch_all(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(supplier_id, channel, sent, delivered, entered, failovers)| {
                        phoneguard_core::dashboard::SupplierFunnel {
                            supplier_id,
                            channel,
                            sent,
                            delivered,
                            entered,
                            failovers,
                        }
                    })
                    .collect())
            }

            async fn conversion_by_carrier(
                &self,
                since: chrono::DateTime<chrono::Utc>,
            ) -> phoneguard_core::store::StoreResult<
                Vec<phoneguard_core::dashboard::CarrierConversion>,
            > {
                let rows: Vec<(String, String, i64, i64)> =
                    sqlx::query_as(crate::dashboard::CONVERSION_BY_CARRIER)
                        .bind(crate::sql::to_ms(since))
                        .fetch_all(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(supplier_id, carrier, sent, entered)| {
                        phoneguard_core::dashboard::CarrierConversion {
                            supplier_id,
                            carrier,
                            sent,
                            entered,
                        }
                    })
                    .collect())
            }

            async fn risk_points(
                &self,
                since: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> phoneguard_core::store::StoreResult<Vec<phoneguard_core::dashboard::RiskPoint>>
            {
                let rows: Vec<(i64, i64, String, Option<String>)> =
                    sqlx::query_as(crate::dashboard::RISK_POINTS)
                        .bind(crate::sql::to_ms(since))
                        .bind(limit)
                        .fetch_all(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?;
                rows.into_iter().map(crate::dashboard::risk_point).collect()
            }

            async fn top_send_ips(
                &self,
                since: chrono::DateTime<chrono::Utc>,
                n: i64,
            ) -> phoneguard_core::store::StoreResult<Vec<phoneguard_core::dashboard::HashCount>>
            {
                let rows: Vec<(String, i64)> = sqlx::query_as(crate::dashboard::TOP_SEND_IPS)
                    .bind(crate::sql::to_ms(since))
                    .bind(n)
                    .fetch_all(self.readers())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(hash, count)| phoneguard_core::dashboard::HashCount { hash, count })
                    .collect())
            }
        }
    };
}

impl_dashboard_store!(crate::sqlite::SqliteStore, sqlite);
impl_dashboard_store!(crate::postgres::PostgresStore, postgres);
