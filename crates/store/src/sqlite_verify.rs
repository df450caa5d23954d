//! Verifications, attempts, failover mappings, send records and flash-call
//! caller reservations on SQLite. Every decision of a check is one conditional
//! statement, so concurrent requests (and nodes) cannot both win.
//!
//! Reads outside a transaction (loading a verification, send counts, failover
//! mappings, conversion, tenant settings) go to the reader pool, beside the one
//! writer: a read sees every committed write, and a start no longer queues its
//! dozen reads behind other requests' writes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{
    Attempt, ConversionRow, Delivery, ReceiptTarget, Resend, SendCount, SendRecord, SendScope,
    Status, Verification, VerifyStore,
};
use sqlx::SqliteConnection;

use crate::rows::{map_err, to_ms};
use crate::sqlite::SqliteStore;
use crate::sqlite_commit::in_savepoint;
use crate::verify_rows::{ARow, VRow, corrupt, to_verification, v_columns};

mod side;

macro_rules! insert_attempt {
    () => {
        "INSERT INTO verify_attempts (verification_id, seq, tenant_id, terminal_key, channel, supplier_id, carrier, sent_at, delivery, message_ref, entered) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
    };
}
macro_rules! insert_send {
    () => {
        "INSERT INTO verify_sends (tenant_id, at, phone, ip_hash, country, prefix) VALUES (?, ?, ?, ?, ?, ?)"
    };
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

fn bind_attempt<'q>(q: Query<'q>, v_id: &str, tenant: &str, key: &str, a: &Attempt) -> Query<'q> {
    q.bind(v_id.to_string())
        .bind(i64::from(a.seq))
        .bind(tenant.to_string())
        .bind(key.to_string())
        .bind(a.channel.as_str())
        .bind(a.supplier.clone())
        .bind(a.carrier.clone())
        .bind(to_ms(a.sent_at))
        .bind(a.delivery.as_str())
        .bind(a.message_ref.clone())
}

fn bind_send<'q>(q: Query<'q>, s: &SendRecord) -> Query<'q> {
    q.bind(s.tenant_id.clone())
        .bind(to_ms(s.at))
        .bind(s.phone.clone())
        .bind(s.ip_hash.clone())
        .bind(s.country.clone())
        .bind(s.prefix.clone())
}

/// A verification row with its attempts as one JSON array
/// (`[[seq, channel, supplier_id, carrier, sent_at, delivery, message_ref], …]`):
/// one read instead of two.
#[derive(sqlx::FromRow)]
struct VRowWithAttempts {
    #[sqlx(flatten)]
    v: VRow,
    attempts: String,
}

/// The attempts column of [`VRowWithAttempts`].
macro_rules! attempts_json {
    () => {
        "(SELECT json_group_array(json_array(seq, channel, supplier_id, carrier, sent_at, delivery, message_ref)) \
          FROM verify_attempts a WHERE a.verification_id = verifications.id) AS attempts"
    };
}

fn with_attempts(row: VRowWithAttempts) -> StoreResult<Verification> {
    let mut attempts: Vec<ARow> =
        serde_json::from_str(&row.attempts).map_err(|_| corrupt("attempts", &row.attempts))?;
    attempts.sort_by_key(|a| a.seq);
    to_verification(row.v, attempts)
}

/// Runs the first statement of a job of two round trips: `SAVEPOINT job`
/// and a conditional `UPDATE … RETURNING tenant_id, terminal_key`. When it
/// changed nothing the savepoint is released here and there is no second trip.
async fn open_job(
    q: sqlx::query::QueryAs<'_, sqlx::Sqlite, (String, String), sqlx::sqlite::SqliteArguments>,
    c: &mut SqliteConnection,
) -> StoreResult<Option<(String, String)>> {
    let won = q.fetch_optional(&mut *c).await.map_err(map_err)?;
    if won.is_none() {
        sqlx::query("RELEASE job")
            .execute(&mut *c)
            .await
            .map_err(map_err)?;
    }
    Ok(won)
}

impl SqliteStore {
    async fn load(
        &self,
        sql: &'static str,
        a: &str,
        b: &str,
        c: Option<&str>,
    ) -> StoreResult<Option<Verification>> {
        let mut q = sqlx::query_as::<_, VRowWithAttempts>(sql).bind(a).bind(b);
        if let Some(c) = c {
            q = q.bind(c);
        }
        q.fetch_optional(self.readers())
            .await
            .map_err(map_err)?
            .map(with_attempts)
            .transpose()
    }
}

#[async_trait]
impl VerifyStore for SqliteStore {
    async fn insert_verification(
        &self,
        v: &Verification,
        send: Option<&SendRecord>,
    ) -> StoreResult<()> {
        let v = v.clone();
        let send = send.cloned();
        self.verify_writer()
            .write(move |c: &mut SqliteConnection| {
                Box::pin(async move {
                    let mut statements = vec![
                        "UPDATE verifications SET status = 'canceled', updated_at = ? WHERE tenant_id = ? AND phone = ? AND purpose = ? AND status = 'pending'",
                        concat!(
                            "INSERT INTO verifications (",
                            v_columns!(),
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        ),
                    ];
                    statements.extend(v.attempts.iter().map(|_| insert_attempt!()));
                    if send.is_some() {
                        statements.push(insert_send!());
                    }
                    let mut q = sqlx::query(in_savepoint(&statements))
                        .bind(to_ms(v.created_at))
                        .bind(v.tenant_id.clone())
                        .bind(v.phone.clone())
                        .bind(v.purpose.clone())
                        .bind(v.id.clone())
                        .bind(v.tenant_id.clone())
                        .bind(v.phone.clone())
                        .bind(v.country.clone())
                        .bind(v.carrier.clone())
                        .bind(v.purpose.clone())
                        .bind(v.terminal_key.clone())
                        .bind(v.channel.as_str())
                        .bind(v.status.as_str())
                        .bind(v.code_hash.clone())
                        .bind(v.locale.clone())
                        .bind(i64::from(v.code_length))
                        .bind(i64::from(v.check_attempts))
                        .bind(i64::from(v.max_check_attempts))
                        .bind(to_ms(v.last_sent_at))
                        .bind(to_ms(v.expires_at))
                        .bind(v.flash_window_ends_at.map(to_ms))
                        .bind(v.flash_prefix_hint.clone())
                        .bind(v.app_hash.clone())
                        .bind(to_ms(v.created_at))
                        .bind(to_ms(v.updated_at));
                    for a in &v.attempts {
                        q = bind_attempt(q, &v.id, &v.tenant_id, &v.terminal_key, a);
                    }
                    if let Some(s) = &send {
                        q = bind_send(q, s);
                    }
                    q.execute(&mut *c).await.map_err(map_err)?;
                    Ok(())
                })
            })
            .await
    }

    async fn get_verification(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<Verification>> {
        let sql = concat!(
            "SELECT ",
            v_columns!(),
            ", ",
            attempts_json!(),
            " FROM verifications WHERE tenant_id = ? AND id = ?"
        );
        self.load(sql, tenant_id, id, None).await
    }

    async fn latest_pending(
        &self,
        tenant_id: &str,
        phone: &str,
        purpose: &str,
    ) -> StoreResult<Option<Verification>> {
        let sql = concat!(
            "SELECT ",
            v_columns!(),
            ", ",
            attempts_json!(),
            " FROM verifications WHERE tenant_id = ? AND phone = ? AND purpose = ? AND status = 'pending' \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        self.load(sql, tenant_id, phone, Some(purpose)).await
    }

    async fn resend(
        &self,
        id: &str,
        r: &Resend,
        a: &Attempt,
        send: &SendRecord,
    ) -> StoreResult<bool> {
        let (id, r, a, send) = (id.to_string(), r.clone(), a.clone(), send.clone());
        self.verify_writer()
            .write(move |c: &mut SqliteConnection| {
                Box::pin(async move {
                    let key = open_job(sqlx::query_as(
                        "SAVEPOINT job; UPDATE verifications SET code_hash = ?, expires_at = ?, last_sent_at = ?, updated_at = ?, \
                         flash_window_ends_at = COALESCE(?, flash_window_ends_at), flash_prefix_hint = COALESCE(?, flash_prefix_hint) \
                         WHERE id = ? AND status = 'pending' RETURNING tenant_id, terminal_key",
                    )
                    .bind(&r.code_hash)
                    .bind(to_ms(r.expires_at))
                    .bind(to_ms(a.sent_at))
                    .bind(to_ms(a.sent_at))
                    .bind(r.flash_window_ends_at.map(to_ms))
                    .bind(&r.flash_prefix_hint)
                    .bind(&id), c)
                    .await?;
                    let Some((tenant, key)) = key else {
                        return Ok(false);
                    };
                    let q = sqlx::query(concat!(
                        insert_attempt!(),
                        "; ",
                        insert_send!(),
                        "; RELEASE job"
                    ));
                    let q = bind_attempt(q, &id, &tenant, &key, &a);
                    bind_send(q, &send).execute(&mut *c).await.map_err(map_err)?;
                    Ok(true)
                })
            })
            .await
    }

    async fn approve(&self, id: &str, code_hash: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let (id, code_hash) = (id.to_string(), code_hash.to_string());
        self.verify_writer()
            .write(move |c: &mut SqliteConnection| {
                Box::pin(async move {
                    let won = open_job(sqlx::query_as(
                        "SAVEPOINT job; UPDATE verifications SET status = 'approved', updated_at = ? \
                         WHERE id = ? AND status = 'pending' AND code_hash = ? AND expires_at > ? AND check_attempts < max_check_attempts \
                         RETURNING tenant_id, terminal_key",
                    )
                    .bind(to_ms(now))
                    .bind(&id)
                    .bind(&code_hash)
                    .bind(to_ms(now)), c)
                    .await?;
                    let Some((tenant, key)) = won else {
                        return Ok(false);
                    };
                    sqlx::query(concat!(
                        "UPDATE verify_attempts SET entered = 1 WHERE verification_id = ? AND seq = (SELECT MAX(seq) FROM verify_attempts WHERE verification_id = ?); ",
                        "DELETE FROM verify_failover WHERE tenant_id = ? AND terminal_key = ?; ",
                        "DELETE FROM flash_callers WHERE verification_id = ?; ",
                        "RELEASE job"
                    ))
                    .bind(&id)
                    .bind(&id)
                    .bind(&tenant)
                    .bind(&key)
                    .bind(&id)
                    .execute(&mut *c)
                    .await
                    .map_err(map_err)?;
                    Ok(true)
                })
            })
            .await
    }

    async fn count_wrong_check(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(u32, Status)>> {
        let id = id.to_string();
        let row: Option<(i64, String)> = self
            .verify_writer()
            .write(move |c: &mut SqliteConnection| {
                Box::pin(async move {
                    sqlx::query_as(
                        "UPDATE verifications SET check_attempts = check_attempts + 1, updated_at = ?, \
                         status = CASE WHEN check_attempts + 1 >= max_check_attempts THEN 'max_attempts_reached' ELSE status END \
                         WHERE id = ? AND status = 'pending' RETURNING check_attempts, status",
                    )
                    .bind(to_ms(now))
                    .bind(&id)
                    .fetch_optional(&mut *c)
                    .await
                    .map_err(map_err)
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
        self.verify_writer()
            .write(move |c: &mut SqliteConnection| {
                Box::pin(async move {
                    let r = sqlx::query(
                        "UPDATE verifications SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                    )
                    .bind(to.as_str())
                    .bind(to_ms(now))
                    .bind(&id)
                    .bind(from.as_str())
                    .execute(&mut *c)
                    .await
                    .map_err(map_err)?;
                    Ok(r.rows_affected() == 1)
                })
            })
            .await
    }

    async fn last_attempt_of_terminal(
        &self,
        tenant_id: &str,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<(String, bool)>> {
        side::last_attempt_of_terminal(self.readers(), tenant_id, key, since).await
    }

    async fn add_failover(
        &self,
        tenant_id: &str,
        key: &str,
        supplier_id: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        side::add_failover(self.pool(), tenant_id, key, supplier_id, expires_at).await
    }

    async fn failover_suppliers(
        &self,
        tenant_id: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        side::failover_suppliers(self.readers(), tenant_id, key, now).await
    }

    async fn clear_failover(&self, tenant_id: &str, key: &str) -> StoreResult<()> {
        side::clear_failover(self.pool(), tenant_id, key).await
    }

    async fn count_sends(
        &self,
        tenant_id: &str,
        scope: &SendScope,
        since: DateTime<Utc>,
    ) -> StoreResult<SendCount> {
        side::count_sends(self.readers(), tenant_id, scope, since).await
    }

    async fn sends_since(
        &self,
        since: DateTime<Utc>,
        each: &mut (dyn FnMut(SendRecord) + Send),
    ) -> StoreResult<u64> {
        side::sends_since(self.readers(), since, each).await
    }

    async fn conversion(
        &self,
        carrier: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ConversionRow>> {
        side::conversion(self.readers(), carrier, since).await
    }

    async fn reserve_caller(
        &self,
        pool: &str,
        caller: &str,
        verification_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        side::reserve_caller(self.pool(), pool, caller, verification_id, until, now).await
    }

    async fn release_callers(&self, verification_id: &str) -> StoreResult<()> {
        side::release_callers(self.pool(), verification_id).await
    }

    async fn record_delivery(
        &self,
        supplier_id: &str,
        message_ref: &str,
        delivery: Delivery,
    ) -> StoreResult<Option<ReceiptTarget>> {
        side::record_delivery(self.pool(), supplier_id, message_ref, delivery).await
    }

    async fn tenant_countries(&self, tenant_id: &str) -> StoreResult<Option<Vec<String>>> {
        side::tenant_countries(self.readers(), tenant_id).await
    }

    async fn set_tenant_countries(
        &self,
        tenant_id: &str,
        countries: Option<&[String]>,
    ) -> StoreResult<()> {
        side::set_tenant_countries(self.pool(), tenant_id, countries).await
    }

    async fn tenant_templates(&self, tenant_id: &str) -> StoreResult<Option<String>> {
        side::tenant_templates(self.readers(), tenant_id).await
    }

    async fn set_tenant_templates(&self, tenant_id: &str, json: Option<&str>) -> StoreResult<()> {
        side::set_tenant_templates(self.pool(), tenant_id, json).await
    }

    async fn purge_verify(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64> {
        side::purge_verify(self.pool(), before, now).await
    }
}
