//! Verifications, attempts, failover mappings, send records and flash-call
//! caller reservations on SQLite. Every decision of a check is one conditional
//! statement, so concurrent requests (and nodes) cannot both win.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{
    Attempt, Channel, ConversionRow, Delivery, ReceiptTarget, Resend, SendCount, SendRecord,
    SendScope, Status, Verification, VerifyStore,
};
use sqlx::{Sqlite, Transaction};

use crate::rows::{from_ms, map_err, to_ms};
use crate::sqlite::SqliteStore;

mod pg_pending;

/// The columns of `verifications`, in the order of [`VRow`].
macro_rules! v_columns {
    () => {
        "id, tenant_id, phone, country, carrier, purpose, terminal_key, channel, status, code_hash, \
         locale, code_length, check_attempts, max_check_attempts, last_sent_at, expires_at, flash_window_ends_at, \
         flash_prefix_hint, app_hash, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct VRow {
    id: String,
    tenant_id: String,
    phone: String,
    country: String,
    carrier: String,
    purpose: String,
    terminal_key: String,
    channel: String,
    status: String,
    code_hash: String,
    locale: String,
    code_length: i64,
    check_attempts: i64,
    max_check_attempts: i64,
    last_sent_at: i64,
    expires_at: i64,
    flash_window_ends_at: Option<i64>,
    flash_prefix_hint: Option<String>,
    app_hash: Option<String>,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct ARow {
    seq: i64,
    channel: String,
    supplier_id: String,
    carrier: String,
    sent_at: i64,
    delivery: String,
    message_ref: Option<String>,
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Other(format!("verifications: {what} {v:?} is not valid"))
}

fn to_verification(r: VRow, attempts: Vec<ARow>) -> StoreResult<Verification> {
    let attempts = attempts
        .into_iter()
        .map(|a| {
            Ok(Attempt {
                seq: a.seq as u32,
                channel: Channel::parse(&a.channel).ok_or_else(|| corrupt("channel", &a.channel))?,
                supplier: a.supplier_id,
                sent_at: from_ms(a.sent_at),
                delivery: Delivery::parse(&a.delivery).ok_or_else(|| corrupt("delivery", &a.delivery))?,
                message_ref: a.message_ref,
                carrier: a.carrier,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Verification {
        channel: Channel::parse(&r.channel).ok_or_else(|| corrupt("channel", &r.channel))?,
        status: Status::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
        id: r.id,
        tenant_id: r.tenant_id,
        phone: r.phone,
        country: r.country,
        carrier: r.carrier,
        purpose: r.purpose,
        terminal_key: r.terminal_key,
        code_hash: r.code_hash,
        locale: r.locale,
        code_length: r.code_length as u32,
        check_attempts: r.check_attempts as u32,
        max_check_attempts: r.max_check_attempts as u32,
        last_sent_at: from_ms(r.last_sent_at),
        expires_at: from_ms(r.expires_at),
        flash_window_ends_at: r.flash_window_ends_at.map(from_ms),
        flash_prefix_hint: r.flash_prefix_hint,
        app_hash: r.app_hash,
        created_at: from_ms(r.created_at),
        updated_at: from_ms(r.updated_at),
        attempts,
    })
}

async fn insert_attempt(tx: &mut Transaction<'_, Sqlite>, v_id: &str, tenant: &str, key: &str, a: &Attempt) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO verify_attempts (verification_id, seq, tenant_id, terminal_key, channel, supplier_id, carrier, sent_at, delivery, message_ref, entered) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
    )
    .bind(v_id)
    .bind(i64::from(a.seq))
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

async fn insert_send(tx: &mut Transaction<'_, Sqlite>, s: &SendRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO verify_sends (tenant_id, at, phone, ip_hash, country, prefix) VALUES (?, ?, ?, ?, ?, ?)")
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

impl SqliteStore {
    async fn load(&self, sql: &'static str, a: &str, b: &str, c: Option<&str>) -> StoreResult<Option<Verification>> {
        let mut q = sqlx::query_as::<_, VRow>(sql).bind(a).bind(b);
        if let Some(c) = c {
            q = q.bind(c);
        }
        let Some(row) = q.fetch_optional(self.pool()).await.map_err(map_err)? else {
            return Ok(None);
        };
        let attempts: Vec<ARow> = sqlx::query_as(
            "SELECT seq, channel, supplier_id, carrier, sent_at, delivery, message_ref FROM verify_attempts \
             WHERE verification_id = ? ORDER BY seq",
        )
        .bind(&row.id)
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        to_verification(row, attempts).map(Some)
    }
}

#[async_trait]
impl VerifyStore for SqliteStore {
    async fn insert_verification(&self, v: &Verification, send: Option<&SendRecord>) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        sqlx::query("UPDATE verifications SET status = 'canceled', updated_at = ? WHERE tenant_id = ? AND phone = ? AND purpose = ? AND status = 'pending'")
            .bind(to_ms(v.created_at))
            .bind(&v.tenant_id)
            .bind(&v.phone)
            .bind(&v.purpose)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query(concat!("INSERT INTO verifications (", v_columns!(), ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
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
            .bind(i64::from(v.code_length))
            .bind(i64::from(v.check_attempts))
            .bind(i64::from(v.max_check_attempts))
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

    async fn get_verification(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Verification>> {
        let sql = concat!("SELECT ", v_columns!(), " FROM verifications WHERE tenant_id = ? AND id = ?");
        self.load(sql, tenant_id, id, None).await
    }

    async fn latest_pending(&self, tenant_id: &str, phone: &str, purpose: &str) -> StoreResult<Option<Verification>> {
        let sql = concat!(
            "SELECT ",
            v_columns!(),
            " FROM verifications WHERE tenant_id = ? AND phone = ? AND purpose = ? AND status = 'pending' \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        self.load(sql, tenant_id, phone, Some(purpose)).await
    }

    async fn resend(&self, id: &str, r: &Resend, a: &Attempt, send: &SendRecord) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let key: Option<(String, String)> = sqlx::query_as(
            "UPDATE verifications SET code_hash = ?, expires_at = ?, last_sent_at = ?, updated_at = ?, \
             flash_window_ends_at = COALESCE(?, flash_window_ends_at), flash_prefix_hint = COALESCE(?, flash_prefix_hint) \
             WHERE id = ? AND status = 'pending' RETURNING tenant_id, terminal_key",
        )
        .bind(&r.code_hash)
        .bind(to_ms(r.expires_at))
        .bind(to_ms(a.sent_at))
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
            "UPDATE verifications SET status = 'approved', updated_at = ? \
             WHERE id = ? AND status = 'pending' AND code_hash = ? AND expires_at > ? AND check_attempts < max_check_attempts \
             RETURNING tenant_id, terminal_key",
        )
        .bind(to_ms(now))
        .bind(id)
        .bind(code_hash)
        .bind(to_ms(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some((tenant, key)) = won else {
            return Ok(false);
        };
        sqlx::query("UPDATE verify_attempts SET entered = 1 WHERE verification_id = ? AND seq = (SELECT MAX(seq) FROM verify_attempts WHERE verification_id = ?)")
            .bind(id)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM verify_failover WHERE tenant_id = ? AND terminal_key = ?")
            .bind(&tenant)
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM flash_callers WHERE verification_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn count_wrong_check(&self, id: &str, now: DateTime<Utc>) -> StoreResult<Option<(u32, Status)>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "UPDATE verifications SET check_attempts = check_attempts + 1, updated_at = ?, \
             status = CASE WHEN check_attempts + 1 >= max_check_attempts THEN 'max_attempts_reached' ELSE status END \
             WHERE id = ? AND status = 'pending' RETURNING check_attempts, status",
        )
        .bind(to_ms(now))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        row.map(|(n, s)| Ok((n as u32, Status::parse(&s).ok_or_else(|| corrupt("status", &s))?)))
            .transpose()
    }

    async fn transition(&self, id: &str, from: Status, to: Status, now: DateTime<Utc>) -> StoreResult<bool> {
        let r = sqlx::query("UPDATE verifications SET status = ?, updated_at = ? WHERE id = ? AND status = ?")
            .bind(to.as_str())
            .bind(to_ms(now))
            .bind(id)
            .bind(from.as_str())
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn last_attempt_of_terminal(&self, tenant_id: &str, key: &str, since: DateTime<Utc>) -> StoreResult<Option<(String, bool)>> {
        sqlx::query_as(
            "SELECT supplier_id, entered FROM verify_attempts WHERE tenant_id = ? AND terminal_key = ? AND sent_at >= ? \
             ORDER BY sent_at DESC, seq DESC LIMIT 1",
        )
        .bind(tenant_id)
        .bind(key)
        .bind(to_ms(since))
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)
    }

    async fn add_failover(&self, tenant_id: &str, key: &str, supplier_id: &str, expires_at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO verify_failover (tenant_id, terminal_key, supplier_id, expires_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (tenant_id, terminal_key, supplier_id) DO UPDATE SET expires_at = excluded.expires_at",
        )
        .bind(tenant_id)
        .bind(key)
        .bind(supplier_id)
        .bind(to_ms(expires_at))
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn failover_suppliers(&self, tenant_id: &str, key: &str, now: DateTime<Utc>) -> StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT supplier_id FROM verify_failover WHERE tenant_id = ? AND terminal_key = ? AND expires_at > ? ORDER BY supplier_id")
            .bind(tenant_id)
            .bind(key)
            .bind(to_ms(now))
            .fetch_all(self.pool())
            .await
            .map_err(map_err)
    }

    async fn clear_failover(&self, tenant_id: &str, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM verify_failover WHERE tenant_id = ? AND terminal_key = ?")
            .bind(tenant_id)
            .bind(key)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn count_sends(&self, tenant_id: &str, scope: &SendScope, since: DateTime<Utc>) -> StoreResult<SendCount> {
        macro_rules! count_by {
            ($column:literal) => {
                concat!("SELECT COUNT(*), MIN(at) FROM verify_sends WHERE tenant_id = ? AND ", $column, " = ? AND at > ?")
            };
        }
        let (sql, value) = match scope {
            SendScope::Tenant => (count_by!("tenant_id"), tenant_id),
            SendScope::Phone(p) => (count_by!("phone"), p.as_str()),
            SendScope::Ip(i) => (count_by!("ip_hash"), i.as_str()),
            SendScope::Country(c) => (count_by!("country"), c.as_str()),
            SendScope::Prefix(p) => (count_by!("prefix"), p.as_str()),
        };
        let (count, oldest): (i64, Option<i64>) = sqlx::query_as(sql)
            .bind(tenant_id)
            .bind(value)
            .bind(to_ms(since))
            .fetch_one(self.pool())
            .await
            .map_err(map_err)?;
        Ok(SendCount { count, oldest: oldest.map(from_ms) })
    }

    async fn conversion(&self, carrier: &str, since: DateTime<Utc>) -> StoreResult<Vec<ConversionRow>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT supplier_id, COUNT(*), COALESCE(SUM(entered), 0) FROM verify_attempts \
             WHERE carrier = ? AND sent_at > ? AND channel IN ('sms', 'voice') GROUP BY supplier_id",
        )
        .bind(carrier)
        .bind(to_ms(since))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        Ok(rows.into_iter().map(|(supplier_id, sent, entered)| ConversionRow { supplier_id, sent, entered }).collect())
    }

    async fn reserve_caller(&self, pool: &str, caller: &str, verification_id: &str, until: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO flash_callers (pool, caller, verification_id, until) VALUES (?, ?, ?, ?) \
             ON CONFLICT (pool, caller) DO UPDATE SET verification_id = excluded.verification_id, until = excluded.until \
             WHERE flash_callers.until <= ?",
        )
        .bind(pool)
        .bind(caller)
        .bind(verification_id)
        .bind(to_ms(until))
        .bind(to_ms(now))
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(r.rows_affected() == 1)
    }

    async fn release_callers(&self, verification_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM flash_callers WHERE verification_id = ?")
            .bind(verification_id)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn record_delivery(&self, supplier_id: &str, message_ref: &str, delivery: Delivery) -> StoreResult<Option<ReceiptTarget>> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "UPDATE verify_attempts SET delivery = ? WHERE supplier_id = ? AND message_ref = ? \
             RETURNING tenant_id, terminal_key, verification_id",
        )
        .bind(delivery.as_str())
        .bind(supplier_id)
        .bind(message_ref)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        let Some((tenant_id, terminal_key, vid)) = row else {
            return Ok(None);
        };
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM verifications WHERE id = ?")
            .bind(&vid)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?;
        Ok(Some(ReceiptTarget {
            tenant_id,
            terminal_key,
            supplier_id: supplier_id.to_string(),
            pending: status.as_deref() == Some("pending"),
        }))
    }

    async fn tenant_countries(&self, tenant_id: &str) -> StoreResult<Option<Vec<String>>> {
        let raw: Option<String> = sqlx::query_scalar("SELECT countries FROM verify_tenant_countries WHERE tenant_id = ?")
            .bind(tenant_id)
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?;
        raw.map(|r| serde_json::from_str(&r).map_err(|_| corrupt("countries", &r))).transpose()
    }

    async fn set_tenant_countries(&self, tenant_id: &str, countries: Option<&[String]>) -> StoreResult<()> {
        let q = match countries {
            Some(list) => sqlx::query(
                "INSERT INTO verify_tenant_countries (tenant_id, countries) VALUES (?, ?) \
                 ON CONFLICT (tenant_id) DO UPDATE SET countries = excluded.countries",
            )
            .bind(tenant_id)
            .bind(serde_json::Value::from(list.to_vec()).to_string()),
            None => sqlx::query("DELETE FROM verify_tenant_countries WHERE tenant_id = ?").bind(tenant_id),
        };
        q.execute(self.pool()).await.map_err(map_err)?;
        Ok(())
    }

    async fn purge_verify(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64> {
        let mut n = 0;
        for (sql, t) in [
            ("DELETE FROM verify_sends WHERE at < ?", before),
            ("DELETE FROM verify_failover WHERE expires_at <= ?", now),
            ("DELETE FROM flash_callers WHERE until <= ?", now),
        ] {
            n += sqlx::query(sql).bind(to_ms(t)).execute(self.pool()).await.map_err(map_err)?.rows_affected();
        }
        Ok(n)
    }
}
