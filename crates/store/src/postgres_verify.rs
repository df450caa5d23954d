//! Verifications, attempts, failover mappings, send records and flash-call
//! caller reservations on PostgreSQL, with the semantics of the SQLite adapter.
//!
//! Every decision of a check is one conditional `UPDATE … WHERE status =
//! 'pending' AND …`: under READ COMMITTED a second concurrent update waits for
//! the row lock of the first, then re-evaluates its WHERE against the committed
//! row and matches nothing, so of any number of concurrent correct checks, on
//! any number of nodes, exactly one approves.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{
    Attempt, ConversionRow, Delivery, ReceiptTarget, Resend, SendCount, SendRecord, SendScope,
    Status, Verification, VerifyStore,
};
use sqlx::{Postgres, Transaction};

use crate::postgres::{PostgresStore, map_err};
use crate::rows::to_ms;
use crate::verify_rows::{ARow, VRow, corrupt, pg_v_columns, to_verification, v_columns};

mod side;

async fn insert_attempt(
    tx: &mut Transaction<'_, Postgres>,
    v_id: &str,
    tenant: &str,
    key: &str,
    a: &Attempt,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO verify_attempts (verification_id, seq, tenant_id, terminal_key, channel, supplier_id, carrier, sent_at, delivery, message_ref, entered) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)",
    )
    .bind(v_id)
    .bind(a.seq as i32)
    .bind(tenant)
    .bind(key)
    .bind(a.channel.as_str())
    .bind(&a.supplier)
    .bind(&a.carrier)
    .bind(to_ms(a.sent_at))
    .bind(a.delivery.as_str())
    .bind(&a.message_ref)
    .execute(&mut **tx)
    .await
    .map_err(map_err)?;
    Ok(())
}

async fn insert_send(tx: &mut Transaction<'_, Postgres>, s: &SendRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO verify_sends (tenant_id, at, phone, ip_hash, country, prefix) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&s.tenant_id)
        .bind(to_ms(s.at))
        .bind(&s.phone)
        .bind(&s.ip_hash)
        .bind(&s.country)
        .bind(&s.prefix)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    Ok(())
}

impl PostgresStore {
    async fn load(
        &self,
        sql: &'static str,
        a: &str,
        b: &str,
        c: Option<&str>,
    ) -> StoreResult<Option<Verification>> {
        let mut q = sqlx::query_as::<_, VRow>(sql).bind(a).bind(b);
        if let Some(c) = c {
            q = q.bind(c);
        }
        let Some(row) = q.fetch_optional(self.pool()).await.map_err(map_err)? else {
            return Ok(None);
        };
        let attempts: Vec<ARow> = sqlx::query_as(
            "SELECT seq::BIGINT AS seq, channel, supplier_id, carrier, sent_at, delivery, message_ref \
             FROM verify_attempts WHERE verification_id = $1 ORDER BY seq",
        )
        .bind(&row.id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        to_verification(row, attempts).map(Some)
    }
}

#[async_trait]
impl VerifyStore for PostgresStore {
    async fn insert_verification(
        &self,
        v: &Verification,
        send: Option<&SendRecord>,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        // Starts for one phone and purpose take turns (SQLite's single writer
        // gives that for free), so at most one of them stays pending.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind(format!(
                "{}\u{1f}{}\u{1f}{}",
                v.tenant_id, v.phone, v.purpose
            ))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("UPDATE verifications SET status = 'canceled', updated_at = $1 WHERE tenant_id = $2 AND phone = $3 AND purpose = $4 AND status = 'pending'")
            .bind(to_ms(v.created_at))
            .bind(&v.tenant_id)
            .bind(&v.phone)
            .bind(&v.purpose)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query(concat!(
            "INSERT INTO verifications (",
            v_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        ))
        .bind(&v.id)
        .bind(&v.tenant_id)
        .bind(&v.phone)
        .bind(&v.country)
        .bind(&v.carrier)
        .bind(&v.purpose)
        .bind(&v.terminal_key)
        .bind(v.channel.as_str())
        .bind(v.status.as_str())
        .bind(&v.code_hash)
        .bind(&v.locale)
        .bind(v.code_length as i32)
        .bind(v.check_attempts as i32)
        .bind(v.max_check_attempts as i32)
        .bind(to_ms(v.last_sent_at))
        .bind(to_ms(v.expires_at))
        .bind(v.flash_window_ends_at.map(to_ms))
        .bind(&v.flash_prefix_hint)
        .bind(&v.app_hash)
        .bind(to_ms(v.created_at))
        .bind(to_ms(v.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        for a in &v.attempts {
            insert_attempt(&mut tx, &v.id, &v.tenant_id, &v.terminal_key, a).await?;
        }
        if let Some(s) = send {
            insert_send(&mut tx, s).await?;
        }
        tx.commit().await.map_err(map_err)
    }

    async fn get_verification(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<Verification>> {
        let sql = concat!(
            "SELECT ",
            pg_v_columns!(),
            " FROM verifications WHERE tenant_id = $1 AND id = $2"
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
            pg_v_columns!(),
            " FROM verifications WHERE tenant_id = $1 AND phone = $2 AND purpose = $3 AND status = 'pending' \
             ORDER BY created_at DESC, id COLLATE \"C\" DESC LIMIT 1"
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
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let key: Option<(String, String)> = sqlx::query_as(
            "UPDATE verifications SET code_hash = $1, expires_at = $2, last_sent_at = $3, updated_at = $3, \
             flash_window_ends_at = COALESCE($4, flash_window_ends_at), flash_prefix_hint = COALESCE($5, flash_prefix_hint) \
             WHERE id = $6 AND status = 'pending' RETURNING tenant_id, terminal_key",
        )
        .bind(&r.code_hash)
        .bind(to_ms(r.expires_at))
        .bind(to_ms(a.sent_at))
        .bind(r.flash_window_ends_at.map(to_ms))
        .bind(&r.flash_prefix_hint)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some((tenant, key)) = key else {
            return Ok(false);
        };
        insert_attempt(&mut tx, id, &tenant, &key, a).await?;
        insert_send(&mut tx, send).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn approve(&self, id: &str, code_hash: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let won: Option<(String, String)> = sqlx::query_as(
            "UPDATE verifications SET status = 'approved', updated_at = $1 \
             WHERE id = $2 AND status = 'pending' AND code_hash = $3 AND expires_at > $1 AND check_attempts < max_check_attempts \
             RETURNING tenant_id, terminal_key",
        )
        .bind(to_ms(now))
        .bind(id)
        .bind(code_hash)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some((tenant, key)) = won else {
            return Ok(false);
        };
        sqlx::query("UPDATE verify_attempts SET entered = 1 WHERE verification_id = $1 AND seq = (SELECT MAX(seq) FROM verify_attempts WHERE verification_id = $1)")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM verify_failover WHERE tenant_id = $1 AND terminal_key = $2")
            .bind(&tenant)
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM flash_callers WHERE verification_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn count_wrong_check(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(u32, Status)>> {
        let row: Option<(i32, String)> = sqlx::query_as(
            "UPDATE verifications SET check_attempts = check_attempts + 1, updated_at = $1, \
             status = CASE WHEN check_attempts + 1 >= max_check_attempts THEN 'max_attempts_reached' ELSE status END \
             WHERE id = $2 AND status = 'pending' RETURNING check_attempts, status",
        )
        .bind(to_ms(now))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
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
        let r = sqlx::query(
            "UPDATE verifications SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(to_ms(now))
        .bind(id)
        .bind(from.as_str())
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn last_attempt_of_terminal(
        &self,
        tenant_id: &str,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<(String, bool)>> {
        side::last_attempt_of_terminal(self.pool(), tenant_id, key, since).await
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
        side::failover_suppliers(self.pool(), tenant_id, key, now).await
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
        side::count_sends(self.pool(), tenant_id, scope, since).await
    }

    async fn sends_since(
        &self,
        since: DateTime<Utc>,
        each: &mut (dyn FnMut(SendRecord) + Send),
    ) -> StoreResult<u64> {
        side::sends_since(self.pool(), since, each).await
    }

    async fn conversion(
        &self,
        carrier: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ConversionRow>> {
        side::conversion(self.pool(), carrier, since).await
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
        side::tenant_countries(self.pool(), tenant_id).await
    }

    async fn set_tenant_countries(
        &self,
        tenant_id: &str,
        countries: Option<&[String]>,
    ) -> StoreResult<()> {
        side::set_tenant_countries(self.pool(), tenant_id, countries).await
    }

    async fn tenant_templates(&self, tenant_id: &str) -> StoreResult<Option<String>> {
        side::tenant_templates(self.pool(), tenant_id).await
    }

    async fn set_tenant_templates(&self, tenant_id: &str, json: Option<&str>) -> StoreResult<()> {
        side::set_tenant_templates(self.pool(), tenant_id, json).await
    }

    async fn purge_verify(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64> {
        side::purge_verify(self.pool(), before, now).await
    }
}
