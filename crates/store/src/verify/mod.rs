//! [`VerifyStore`] on both backends: verifications, attempts, failover
//! mappings, send records, flash-call caller reservations and per-tenant
//! settings.
//!
//! Every decision of a check is one conditional statement, so concurrent
//! requests (and nodes) cannot both win. The writes of a verification's own
//! row go through the backend's write path (`$d::write`, and the
//! `insert_verification`, `resend` and `approve` of `sqlite.rs` and
//! `postgres.rs`): SQLite's single-writer group commit (on the request's
//! thread for those of a start and a check), or a PostgreSQL
//! connection or transaction. Everything else is shared.
//!
//! On SQLite, reads outside a transaction go to readers beside the one
//! writer: a read sees every committed write, and a start does not queue its
//! reads behind other requests' writes. Those of a start and a check (the
//! verification, its phone's last send, its terminal's last attempt, the
//! failover mappings) run on the request's own thread (`self.sync_read`,
//! [`crate::sqlite_sync`]: no round trip to a connection's thread); the
//! rarer ones (send counts, conversion, tenant settings) through sqlx's
//! reader pool. The PostgreSQL store's `sync_read` is `None`.

use chrono::{DateTime, Utc};
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{
    Attempt, CodeHasher, ConversionRow, Delivery, ReceiptTarget, Resend, SendCount, SendRecord,
    SendScope, Status, TerminalAttempt, Verification, VerifyHotState, VerifyStore,
};

use crate::sql::{from_ms, to_ms};
use rusqlite::OptionalExtension;

use hot::impl_verify_hot_state;
use rows::{
    SendRow, by_id, corrupt, corrupt_setting, count_sends_by, failover_of, last_attempt,
    last_unused_send, newest_first, newest_pending, replay_sends, select_verification,
    send_columns, sync_load, terminal_attempt, with_attempts,
};

mod hot;
mod postgres;
mod rows;
mod sqlite;

/// Implements [`VerifyStore`] and [`VerifyHotState`] for `$store` on backend `$d` (see
/// [`crate::sql`]).
macro_rules! impl_verify_store {
    ($store:ty, $d:ident) => {
        impl_verify_hot_state!($store, $d);

        #[async_trait::async_trait]
        impl VerifyStore for $store {
            async fn insert_verification(
                &self,
                v: &Verification,
                send: Option<&SendRecord>,
            ) -> StoreResult<()> {
                $d::insert_verification(self, v, send).await
            }

            async fn insert_or_resend(
                &self,
                v: &Verification,
                send: &SendRecord,
                rehash: CodeHasher,
            ) -> StoreResult<Option<String>> {
                $d::insert_or_resend(self, v, send, rehash).await
            }

            async fn get_verification(
                &self,
                tenant_id: &str,
                id: &str,
            ) -> StoreResult<Option<Verification>> {
                if let Some(v) = self.sync_read(|c| {
                    sync_load(c, concat!(select_verification!(sqlite), by_id!()), (tenant_id, id))
                }) {
                    return v?.map(with_attempts).transpose();
                }
                let q = sqlx::query_as(concat!(select_verification!($d), by_id!()));
                $d::load(self, q.bind(tenant_id).bind(id)).await
            }

            async fn latest_pending(
                &self,
                tenant_id: &str,
                phone: &str,
                purpose: &str,
            ) -> StoreResult<Option<Verification>> {
                if let Some(v) = self.sync_read(|c| {
                    sync_load(
                        c,
                        concat!(select_verification!(sqlite), newest_pending!(sqlite)),
                        (tenant_id, phone, purpose),
                    )
                }) {
                    return v?.map(with_attempts).transpose();
                }
                let q = sqlx::query_as(concat!(select_verification!($d), newest_pending!($d)));
                $d::load(self, q.bind(tenant_id).bind(phone).bind(purpose)).await
            }

            async fn last_unused_send(
                &self,
                tenant_id: &str,
                phone: &str,
                purpose: &str,
            ) -> StoreResult<Option<DateTime<Utc>>> {
                const SQL: &str = "SELECT MAX(last_sent_at) FROM verifications WHERE tenant_id = $1 \
                     AND phone = $2 AND purpose = $3 AND status NOT IN ('failed', 'approved')";
                let ms: Option<i64> = match self.sync_read(|c| {
                    c.prepare_cached(SQL)?
                        .query_row((tenant_id, phone, purpose), |r| r.get(0))
                }) {
                    Some(ms) => ms?,
                    None => sqlx::query_scalar(SQL)
                        .bind(tenant_id)
                        .bind(phone)
                        .bind(purpose)
                        .fetch_one(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?,
                };
                Ok(ms.map(from_ms))
            }

            async fn resend(
                &self,
                id: &str,
                r: &Resend,
                a: &Attempt,
                send: &SendRecord,
            ) -> StoreResult<bool> {
                $d::resend(self, id, r, a, send).await
            }

            async fn approve(
                &self,
                id: &str,
                code_hash: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                $d::approve(self, id, code_hash, now).await
            }

            async fn count_wrong_check(
                &self,
                id: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<(u32, Status)>> {
                let id = id.to_string();
                let row: Option<(i32, String)> = $d::write(self, move |c| {
                    Box::pin(async move {
                        sqlx::query_as(
                            "UPDATE verifications SET check_attempts = check_attempts + 1, \
                             updated_at = $1, status = CASE WHEN check_attempts + 1 >= \
                             max_check_attempts THEN 'max_attempts_reached' ELSE status END \
                             WHERE id = $2 AND status = 'pending' RETURNING check_attempts, status",
                        )
                        .bind(to_ms(now))
                        .bind(&id)
                        .fetch_optional(&mut *c)
                        .await
                        .map_err(crate::$d::map_err)
                    })
                })
                .await?;
                row.map(|(n, s)| {
                    Ok((
                        n as u32,
                        Status::parse(&s).ok_or_else(|| corrupt("status", &s))?,
                    ))
                })
                .transpose()
            }

            async fn transition(
                &self,
                id: &str,
                from: Status,
                to: Status,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let id = id.to_string();
                $d::write(self, move |c| {
                    Box::pin(async move {
                        let r = sqlx::query(
                            "UPDATE verifications SET status = $1, updated_at = $2 \
                             WHERE id = $3 AND status = $4",
                        )
                        .bind(to.as_str())
                        .bind(to_ms(now))
                        .bind(&id)
                        .bind(from.as_str())
                        .execute(&mut *c)
                        .await
                        .map_err(crate::$d::map_err)?;
                        Ok(r.rows_affected() == 1)
                    })
                })
                .await
            }

            async fn start_history(
                &self,
                tenant_id: &str,
                phone: &str,
                purpose: &str,
                key: &str,
                since: DateTime<Utc>,
            ) -> StoreResult<(Option<DateTime<Utc>>, Option<TerminalAttempt>)> {
                // One statement for the two reads of a start: the phone's
                // last unused send beside the terminal's last attempt (none:
                // a row of NULLs).
                const SQL: &str = concat!(
                    "SELECT (",
                    last_unused_send!(),
                    "), a.* FROM (SELECT 1 AS one) o LEFT JOIN (",
                    last_attempt!("$1", "$4", "$5"),
                    ") a ON 1 = 1"
                );
                type Row = (Option<i64>, Option<String>, Option<bool>, Option<String>, Option<i64>);
                let since = to_ms(since);
                let row: Row = match self.sync_read(|c| {
                    c.prepare_cached(SQL)?
                        .query_row((tenant_id, phone, purpose, key, since), |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                        })
                }) {
                    Some(row) => row?,
                    None => sqlx::query_as(SQL)
                        .bind(tenant_id)
                        .bind(phone)
                        .bind(purpose)
                        .bind(key)
                        .bind(since)
                        .fetch_one(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?,
                };
                let (last_send, supplier, entered, channel, sent_at) = row;
                let attempt = match (supplier, entered, channel, sent_at) {
                    (Some(supplier_id), Some(entered), Some(channel), Some(sent_at)) => {
                        Some(terminal_attempt(supplier_id, entered, channel, sent_at)?)
                    }
                    _ => None,
                };
                Ok((last_send.map(from_ms), attempt))
            }

            async fn last_attempt_of_terminal(
                &self,
                tenant_id: &str,
                key: &str,
                since: DateTime<Utc>,
            ) -> StoreResult<Option<TerminalAttempt>> {
                const SQL: &str = "SELECT supplier_id, entered <> 0, channel, sent_at FROM verify_attempts \
                     WHERE tenant_id = $1 AND terminal_key = $2 AND sent_at >= $3 \
                     ORDER BY sent_at DESC, seq DESC LIMIT 1";
                let row: Option<(String, bool, String, i64)> = match self.sync_read(|c| {
                    c.prepare_cached(SQL)?
                        .query_row((tenant_id, key, to_ms(since)), |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                        })
                        .optional()
                }) {
                    Some(row) => row?,
                    None => sqlx::query_as(SQL)
                        .bind(tenant_id)
                        .bind(key)
                        .bind(to_ms(since))
                        .fetch_optional(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?,
                };
                row.map(|(supplier_id, entered, channel, sent_at)| {
                    terminal_attempt(supplier_id, entered, channel, sent_at)
                })
                .transpose()
            }

            async fn count_sends(
                &self,
                tenant_id: &str,
                scope: &SendScope,
                since: DateTime<Utc>,
            ) -> StoreResult<SendCount> {
                let (sql, value) = match scope {
                    SendScope::Tenant => (count_sends_by!("tenant_id"), tenant_id),
                    SendScope::Phone(p) => (count_sends_by!("phone"), p.as_str()),
                    SendScope::Ip(i) => (count_sends_by!("ip_hash"), i.as_str()),
                    SendScope::Country(c) => (count_sends_by!("country"), c.as_str()),
                    SendScope::Prefix(p) => (count_sends_by!("prefix"), p.as_str()),
                };
                let (count, oldest): (i64, Option<i64>) = sqlx::query_as(sql)
                    .bind(tenant_id)
                    .bind(value)
                    .bind(to_ms(since))
                    .fetch_one(self.readers())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(SendCount {
                    count,
                    oldest: oldest.map(from_ms),
                })
            }

            async fn sends_since(
                &self,
                since: DateTime<Utc>,
                each: &mut (dyn FnMut(SendRecord) + Send),
            ) -> StoreResult<u64> {
                const SQL: &str = concat!(
                    "SELECT ",
                    send_columns!(),
                    " FROM verify_sends WHERE at > $1 ORDER BY at, id"
                );
                let rows = sqlx::query_as::<_, SendRow>(SQL)
                    .bind(to_ms(since))
                    .fetch(self.readers());
                replay_sends(rows, crate::$d::map_err, each).await
            }

            async fn conversion(
                &self,
                carrier: &str,
                since: DateTime<Utc>,
                newest: i64,
            ) -> StoreResult<Vec<ConversionRow>> {
                // The newest sends only, walking the (carrier, sent_at)
                // index backwards: the cost of a read is bounded however many
                // codes a day the carrier takes (a day at 2,000 a second was
                // 170 million rows to count).
                let rows: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT supplier_id, COUNT(*), COALESCE(SUM(entered), 0) FROM \
                     (SELECT supplier_id, entered FROM verify_attempts \
                     WHERE carrier = $1 AND sent_at > $2 AND channel IN ('sms', 'voice') \
                     ORDER BY sent_at DESC LIMIT $3) newest GROUP BY supplier_id",
                )
                .bind(carrier)
                .bind(to_ms(since))
                .bind(newest)
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(rows
                    .into_iter()
                    .map(|(supplier_id, sent, entered)| ConversionRow {
                        supplier_id,
                        sent,
                        entered,
                    })
                    .collect())
            }

            async fn record_delivery(
                &self,
                supplier_id: &str,
                message_ref: &str,
                delivery: Delivery,
            ) -> StoreResult<Option<ReceiptTarget>> {
                // One statement: the verification's status comes back with
                // the attempt (a second read was a second round trip).
                const SQL: &str = "UPDATE verify_attempts SET delivery = CASE WHEN delivery = 'failed' \
                     THEN delivery ELSE $1 END WHERE supplier_id = $2 \
                     AND message_ref = $3 RETURNING tenant_id, terminal_key, \
                     (SELECT status FROM verifications v WHERE v.id = verification_id)";
                let row: Option<(String, String, Option<String>)> = match self.sync_writer_opt() {
                    Some(w) => {
                        let (s, m) = (supplier_id.to_string(), message_ref.to_string());
                        w.write(move |c| {
                            c.prepare_cached(SQL)?
                                .query_row((delivery.as_str(), &s, &m), |r| {
                                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                                })
                                .optional()
                        })
                        .await?
                    }
                    None => sqlx::query_as(SQL)
                        .bind(delivery.as_str())
                        .bind(supplier_id)
                        .bind(message_ref)
                        .fetch_optional(self.pool())
                        .await
                        .map_err(crate::$d::map_err)?,
                };
                let Some((tenant_id, terminal_key, status)) = row else {
                    return Ok(None);
                };
                Ok(Some(ReceiptTarget {
                    tenant_id,
                    terminal_key,
                    supplier_id: supplier_id.to_string(),
                    pending: status.as_deref() == Some("pending"),
                }))
            }

            async fn tenant_countries(&self, tenant_id: &str) -> StoreResult<Option<Vec<String>>> {
                let raw: Option<String> = sqlx::query_scalar(
                    "SELECT countries FROM verify_tenant_countries WHERE tenant_id = $1",
                )
                .bind(tenant_id)
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                raw.map(|r| serde_json::from_str(&r).map_err(|_| corrupt_setting("countries", &r)))
                    .transpose()
            }

            async fn set_tenant_countries(
                &self,
                tenant_id: &str,
                countries: Option<&[String]>,
            ) -> StoreResult<()> {
                let q = match countries {
                    Some(list) => sqlx::query(
                        "INSERT INTO verify_tenant_countries (tenant_id, countries) VALUES ($1, $2) \
                         ON CONFLICT (tenant_id) DO UPDATE SET countries = excluded.countries",
                    )
                    .bind(tenant_id)
                    .bind(serde_json::Value::from(list.to_vec()).to_string()),
                    None => sqlx::query("DELETE FROM verify_tenant_countries WHERE tenant_id = $1")
                        .bind(tenant_id),
                };
                q.execute(self.pool()).await.map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn tenant_templates(&self, tenant_id: &str) -> StoreResult<Option<String>> {
                sqlx::query_scalar(
                    "SELECT templates FROM verify_tenant_templates WHERE tenant_id = $1",
                )
                .bind(tenant_id)
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)
            }

            async fn set_tenant_templates(
                &self,
                tenant_id: &str,
                json: Option<&str>,
            ) -> StoreResult<()> {
                let q = match json {
                    Some(j) => sqlx::query(
                        "INSERT INTO verify_tenant_templates (tenant_id, templates) VALUES ($1, $2) \
                         ON CONFLICT (tenant_id) DO UPDATE SET templates = excluded.templates",
                    )
                    .bind(tenant_id)
                    .bind(j),
                    None => sqlx::query("DELETE FROM verify_tenant_templates WHERE tenant_id = $1")
                        .bind(tenant_id),
                };
                q.execute(self.pool()).await.map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn purge_verify(
                &self,
                before: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> StoreResult<u64> {
                let mut n = 0;
                for (sql, t) in [
                    ("DELETE FROM verify_sends WHERE at < $1", before),
                    ("DELETE FROM verify_failover WHERE expires_at <= $1", now),
                    ("DELETE FROM flash_callers WHERE until <= $1", now),
                ] {
                    n += sqlx::query(sql)
                        .bind(to_ms(t))
                        .execute(self.pool())
                        .await
                        .map_err(crate::$d::map_err)?
                        .rows_affected();
                }
                Ok(n)
            }
        }
    };
}

impl_verify_store!(crate::sqlite::SqliteStore, sqlite);
impl_verify_store!(crate::postgres::PostgresStore, postgres);
