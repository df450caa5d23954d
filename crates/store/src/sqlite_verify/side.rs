//! The side tables of verification on SQLite: failover mappings, send
//! records, conversion figures, flash-call caller reservations, delivery
//! receipts and per-tenant destination countries.

use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{
    ConversionRow, Delivery, ReceiptTarget, SendCount, SendRecord, SendScope,
};
use sqlx::SqlitePool;

use crate::rows::{from_ms, map_err, to_ms};
use crate::verify_rows::{SendRow, replay_sends, send_columns};

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Other(format!("verify tables: {what} {v:?} is not valid"))
}

pub(super) async fn last_attempt_of_terminal(
    db: &SqlitePool,
    tenant_id: &str,
    key: &str,
    since: DateTime<Utc>,
) -> StoreResult<Option<(String, bool)>> {
    sqlx::query_as(
        "SELECT supplier_id, entered FROM verify_attempts WHERE tenant_id = ? AND terminal_key = ? AND sent_at >= ? \
         ORDER BY sent_at DESC, seq DESC LIMIT 1",
    )
    .bind(tenant_id)
    .bind(key)
    .bind(to_ms(since))
    .fetch_optional(db)
    .await
    .map_err(map_err)
}

pub(super) async fn add_failover(
    db: &SqlitePool,
    tenant_id: &str,
    key: &str,
    supplier_id: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO verify_failover (tenant_id, terminal_key, supplier_id, expires_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (tenant_id, terminal_key, supplier_id) DO UPDATE SET expires_at = excluded.expires_at",
    )
    .bind(tenant_id)
    .bind(key)
    .bind(supplier_id)
    .bind(to_ms(expires_at))
    .execute(db)
    .await
    .map_err(map_err)?;
    Ok(())
}

pub(super) async fn failover_suppliers(
    db: &SqlitePool,
    tenant_id: &str,
    key: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    sqlx::query_scalar("SELECT supplier_id FROM verify_failover WHERE tenant_id = ? AND terminal_key = ? AND expires_at > ? ORDER BY supplier_id")
        .bind(tenant_id)
        .bind(key)
        .bind(to_ms(now))
        .fetch_all(db)
        .await
        .map_err(map_err)
}

pub(super) async fn clear_failover(db: &SqlitePool, tenant_id: &str, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM verify_failover WHERE tenant_id = ? AND terminal_key = ?")
        .bind(tenant_id)
        .bind(key)
        .execute(db)
        .await
        .map_err(map_err)?;
    Ok(())
}

pub(super) async fn sends_since(
    db: &SqlitePool,
    since: DateTime<Utc>,
    each: &mut (dyn FnMut(SendRecord) + Send),
) -> StoreResult<u64> {
    const SQL: &str = concat!(
        "SELECT ",
        send_columns!(),
        " FROM verify_sends WHERE at > ? ORDER BY at, id"
    );
    let rows = sqlx::query_as::<_, SendRow>(SQL)
        .bind(to_ms(since))
        .fetch(db);
    replay_sends(rows, map_err, each).await
}

pub(super) async fn count_sends(
    db: &SqlitePool,
    tenant_id: &str,
    scope: &SendScope,
    since: DateTime<Utc>,
) -> StoreResult<SendCount> {
    macro_rules! count_by {
        ($column:literal) => {
            concat!(
                "SELECT COUNT(*), MIN(at) FROM verify_sends WHERE tenant_id = ? AND ",
                $column,
                " = ? AND at > ?"
            )
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
        .fetch_one(db)
        .await
        .map_err(map_err)?;
    Ok(SendCount {
        count,
        oldest: oldest.map(from_ms),
    })
}

pub(super) async fn conversion(
    db: &SqlitePool,
    carrier: &str,
    since: DateTime<Utc>,
) -> StoreResult<Vec<ConversionRow>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT supplier_id, COUNT(*), COALESCE(SUM(entered), 0) FROM verify_attempts \
         WHERE carrier = ? AND sent_at > ? AND channel IN ('sms', 'voice') GROUP BY supplier_id",
    )
    .bind(carrier)
    .bind(to_ms(since))
    .fetch_all(db)
    .await
    .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|(supplier_id, sent, entered)| ConversionRow {
            supplier_id,
            sent,
            entered,
        })
        .collect())
}

pub(super) async fn reserve_caller(
    db: &SqlitePool,
    pool: &str,
    caller: &str,
    verification_id: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
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
    .execute(db)
    .await
    .map_err(map_err)?;
    Ok(r.rows_affected() == 1)
}

pub(super) async fn release_callers(db: &SqlitePool, verification_id: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM flash_callers WHERE verification_id = ?")
        .bind(verification_id)
        .execute(db)
        .await
        .map_err(map_err)?;
    Ok(())
}

pub(super) async fn record_delivery(
    db: &SqlitePool,
    supplier_id: &str,
    message_ref: &str,
    delivery: Delivery,
) -> StoreResult<Option<ReceiptTarget>> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "UPDATE verify_attempts SET delivery = ? WHERE supplier_id = ? AND message_ref = ? \
         RETURNING tenant_id, terminal_key, verification_id",
    )
    .bind(delivery.as_str())
    .bind(supplier_id)
    .bind(message_ref)
    .fetch_optional(db)
    .await
    .map_err(map_err)?;
    let Some((tenant_id, terminal_key, vid)) = row else {
        return Ok(None);
    };
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM verifications WHERE id = ?")
            .bind(&vid)
            .fetch_optional(db)
            .await
            .map_err(map_err)?;
    Ok(Some(ReceiptTarget {
        tenant_id,
        terminal_key,
        supplier_id: supplier_id.to_string(),
        pending: status.as_deref() == Some("pending"),
    }))
}

pub(super) async fn tenant_countries(
    db: &SqlitePool,
    tenant_id: &str,
) -> StoreResult<Option<Vec<String>>> {
    let raw: Option<String> =
        sqlx::query_scalar("SELECT countries FROM verify_tenant_countries WHERE tenant_id = ?")
            .bind(tenant_id)
            .fetch_optional(db)
            .await
            .map_err(map_err)?;
    raw.map(|r| serde_json::from_str(&r).map_err(|_| corrupt("countries", &r)))
        .transpose()
}

pub(super) async fn set_tenant_countries(
    db: &SqlitePool,
    tenant_id: &str,
    countries: Option<&[String]>,
) -> StoreResult<()> {
    let q = match countries {
        Some(list) => sqlx::query(
            "INSERT INTO verify_tenant_countries (tenant_id, countries) VALUES (?, ?) \
             ON CONFLICT (tenant_id) DO UPDATE SET countries = excluded.countries",
        )
        .bind(tenant_id)
        .bind(serde_json::Value::from(list.to_vec()).to_string()),
        None => {
            sqlx::query("DELETE FROM verify_tenant_countries WHERE tenant_id = ?").bind(tenant_id)
        }
    };
    q.execute(db).await.map_err(map_err)?;
    Ok(())
}

pub(super) async fn tenant_templates(
    db: &SqlitePool,
    tenant_id: &str,
) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT templates FROM verify_tenant_templates WHERE tenant_id = ?")
        .bind(tenant_id)
        .fetch_optional(db)
        .await
        .map_err(map_err)
}

pub(super) async fn set_tenant_templates(
    db: &SqlitePool,
    tenant_id: &str,
    json: Option<&str>,
) -> StoreResult<()> {
    let q = match json {
        Some(j) => sqlx::query(
            "INSERT INTO verify_tenant_templates (tenant_id, templates) VALUES (?, ?) \
             ON CONFLICT (tenant_id) DO UPDATE SET templates = excluded.templates",
        )
        .bind(tenant_id)
        .bind(j),
        None => {
            sqlx::query("DELETE FROM verify_tenant_templates WHERE tenant_id = ?").bind(tenant_id)
        }
    };
    q.execute(db).await.map_err(map_err)?;
    Ok(())
}

pub(super) async fn purge_verify(
    db: &SqlitePool,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut n = 0;
    for (sql, t) in [
        ("DELETE FROM verify_sends WHERE at < ?", before),
        ("DELETE FROM verify_failover WHERE expires_at <= ?", now),
        ("DELETE FROM flash_callers WHERE until <= ?", now),
    ] {
        n += sqlx::query(sql)
            .bind(to_ms(t))
            .execute(db)
            .await
            .map_err(map_err)?
            .rows_affected();
    }
    Ok(n)
}
