//! The writes of verifications on PostgreSQL, each in a transaction of its
//! own.
//!
//! Every decision of a check is one conditional `UPDATE … WHERE status =
//! 'pending' AND …`: under READ COMMITTED a second concurrent update waits for
//! the row lock of the first, then re-evaluates its WHERE against the committed
//! row and matches nothing, so of any number of concurrent correct checks, on
//! any number of nodes, exactly one approves.

use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{Attempt, CodeHasher, Resend, SendRecord, Verification};
use sqlx::{PgConnection, Postgres};

use super::rows::{
    VRowWithAttempts, attempt_columns, bind_attempt, bind_send, bind_verification, send_columns,
    v_columns, with_attempts,
};
use crate::conns::Tx;
use crate::postgres::{PostgresStore, map_err};
use crate::sql::{ConnFuture, to_ms};

/// Runs `work` on a connection of the pool.
pub(super) async fn write<T, F>(store: &PostgresStore, work: F) -> StoreResult<T>
where
    F: for<'c> FnOnce(&'c mut PgConnection) -> ConnFuture<'c, T>,
{
    let mut c = store.pool().acquire().await.map_err(map_err)?;
    work(&mut c).await
}

async fn insert_attempt(
    tx: &mut Tx<Postgres>,
    v_id: &str,
    tenant: &str,
    key: &str,
    a: &Attempt,
) -> StoreResult<()> {
    let q = sqlx::query(concat!(
        "INSERT INTO verify_attempts (",
        attempt_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ));
    bind_attempt!(q, v_id, tenant, key, a, |n: u32| n as i32)
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    Ok(())
}

async fn insert_send(tx: &mut Tx<Postgres>, s: &SendRecord) -> StoreResult<()> {
    let q = sqlx::query(concat!(
        "INSERT INTO verify_sends (",
        send_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6)"
    ));
    bind_send!(q, s).execute(&mut **tx).await.map_err(map_err)?;
    Ok(())
}

/// The verification `q` selects, with its attempts (one statement).
pub(super) async fn load(
    store: &PostgresStore,
    q: sqlx::query::QueryAs<'_, Postgres, VRowWithAttempts, sqlx::postgres::PgArguments>,
) -> StoreResult<Option<Verification>> {
    q.fetch_optional(store.pool())
        .await
        .map_err(map_err)?
        .map(with_attempts)
        .transpose()
}

pub(super) async fn insert_verification(
    store: &PostgresStore,
    v: &Verification,
    send: Option<&SendRecord>,
) -> StoreResult<()> {
    let mut tx = begin_locked(store, v).await?;
    insert_in(&mut tx, v, send).await?;
    tx.commit().await.map_err(map_err)
}

/// A transaction holding the lock of `v`'s phone and purpose: starts for one
/// phone and purpose take turns (SQLite's single writer gives that for
/// free), so at most one of them stays pending. `BEGIN` and the lock go in
/// one round trip (a simple query, so the key is a literal: only when it
/// holds nothing but characters that need no quoting, which every key the
/// API makes does; anything else takes the lock with a bound parameter).
async fn begin_locked(store: &PostgresStore, v: &Verification) -> StoreResult<Tx<Postgres>> {
    let key = format!("{}\u{1f}{}\u{1f}{}", v.tenant_id, v.phone, v.purpose);
    if let Some(sql) = lock_literal_sql(&key) {
        let sql = sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sql));
        return store.pool().begin_with(Some(sql)).await.map_err(map_err);
    }
    let mut tx = store.pool().begin().await.map_err(map_err)?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    Ok(tx)
}

/// `BEGIN` and the advisory lock of `key` as one simple query, when `key` is
/// made only of ASCII letters, digits, `+ - _ . :` and the unit separator
/// (nothing a string literal needs to escape).
fn lock_literal_sql(key: &str) -> Option<String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "+-_.:\u{1f}".contains(c);
    (!key.is_empty() && key.len() <= 512 && key.chars().all(safe))
        .then(|| format!("BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('{key}', 7))"))
}

/// Cancels the pending verifications of `v`'s phone and purpose and inserts
/// `v`, its attempts and the send, in `tx` (under [`begin_locked`]): one
/// statement, whose parts all see the snapshot taken after the lock (the
/// cancel cannot see the row it inserts).
async fn insert_in(
    tx: &mut Tx<Postgres>,
    v: &Verification,
    send: Option<&SendRecord>,
) -> StoreResult<()> {
    let q = sqlx::query(sqlx::AssertSqlSafe(insert_sql(
        v.attempts.len(),
        send.is_some(),
    )))
    .bind(to_ms(v.created_at))
    .bind(&v.tenant_id)
    .bind(&v.phone)
    .bind(&v.purpose);
    let mut q = bind_verification!(q, v, |n: u32| n as i32);
    for a in &v.attempts {
        q = bind_attempt!(q, &v.id, &v.tenant_id, &v.terminal_key, a, |n: u32| n
            as i32);
    }
    if let Some(s) = send {
        q = bind_send!(q, s);
    }
    q.execute(&mut **tx).await.map_err(map_err)?;
    Ok(())
}

/// The statement of [`insert_in`] for `attempts` attempts, with or without
/// a send: the cancel and the inserts as data-modifying `WITH` parts.
fn insert_sql(attempts: usize, send: bool) -> String {
    fn params(from: usize, n: usize) -> String {
        let p: Vec<String> = (from..from + n).map(|i| format!("${i}")).collect();
        p.join(", ")
    }
    let mut sql = format!(
        "WITH c AS (UPDATE verifications SET status = 'canceled', updated_at = $1 \
         WHERE tenant_id = $2 AND phone = $3 AND purpose = $4 AND status = 'pending'), \
         v AS (INSERT INTO verifications ({}) VALUES ({}))",
        v_columns!(),
        params(5, 21)
    );
    let mut next = 26;
    for i in 0..attempts {
        sql += &format!(
            ", a{i} AS (INSERT INTO verify_attempts ({}) VALUES ({}))",
            attempt_columns!(),
            params(next, 11)
        );
        next += 11;
    }
    if send {
        sql += &format!(
            ", s AS (INSERT INTO verify_sends ({}) VALUES ({}))",
            send_columns!(),
            params(next, 6)
        );
    }
    sql + " SELECT 1"
}

/// See `VerifyStore::insert_or_resend`: under the phone's lock, the pending,
/// unexpired verification (locked) gets the new code, or `v` is inserted.
pub(super) async fn insert_or_resend(
    store: &PostgresStore,
    v: &Verification,
    send: &SendRecord,
    rehash: CodeHasher,
) -> StoreResult<Option<String>> {
    let mut tx = begin_locked(store, v).await?;
    let pending: Option<(String, String, i32)> = sqlx::query_as(concat!(
        "SELECT id, terminal_key, (SELECT COALESCE(MAX(seq), 0) FROM verify_attempts a \
         WHERE a.verification_id = p.id) FROM verifications p WHERE tenant_id = $1 AND phone = $2 \
         AND purpose = $3 AND status = 'pending' AND expires_at > $4 ORDER BY created_at DESC, id",
        bytewise!(postgres),
        " DESC LIMIT 1 FOR UPDATE"
    ))
    .bind(&v.tenant_id)
    .bind(&v.phone)
    .bind(&v.purpose)
    .bind(to_ms(v.created_at))
    .fetch_optional(&mut *tx)
    .await
    .map_err(map_err)?;
    let (Some((id, key, last_seq)), Some(sent)) = (pending, v.attempts.last()) else {
        insert_in(&mut tx, v, Some(send)).await?;
        tx.commit().await.map_err(map_err)?;
        return Ok(None);
    };
    let (a, r) = super::rows::resend_to(v, &id, i64::from(last_seq), sent, &rehash);
    // Locked above: still pending.
    if update_code(&mut tx, &id, &r, &a).await?.is_none() {
        return Err(StoreError::Other(format!(
            "verification {id} changed under its row lock"
        )));
    }
    insert_attempt(&mut tx, &id, &v.tenant_id, &key, &a).await?;
    insert_send(&mut tx, send).await?;
    tx.commit().await.map_err(map_err)?;
    Ok(Some(id))
}

/// A resend's new code on verification `id` if it is pending: its tenant
/// and terminal key.
async fn update_code(
    tx: &mut Tx<Postgres>,
    id: &str,
    r: &Resend,
    a: &Attempt,
) -> StoreResult<Option<(String, String)>> {
    sqlx::query_as(
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
    .fetch_optional(&mut **tx)
    .await
    .map_err(map_err)
}

pub(super) async fn resend(
    store: &PostgresStore,
    id: &str,
    r: &Resend,
    a: &Attempt,
    send: &SendRecord,
) -> StoreResult<bool> {
    let mut tx = store.pool().begin().await.map_err(map_err)?;
    let Some((tenant, key)) = update_code(&mut tx, id, r, a).await? else {
        return Ok(false);
    };
    insert_attempt(&mut tx, id, &tenant, &key, a).await?;
    insert_send(&mut tx, send).await?;
    tx.commit().await.map_err(map_err)?;
    Ok(true)
}

pub(super) async fn approve(
    store: &PostgresStore,
    id: &str,
    code_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    // One statement (one implicit transaction): the other parts act only
    // when the approval won.
    let won: Option<i32> = sqlx::query_scalar(
        "WITH won AS (UPDATE verifications SET status = 'approved', updated_at = $1 \
         WHERE id = $2 AND status = 'pending' AND code_hash = $3 AND expires_at > $1 \
         AND check_attempts < max_check_attempts RETURNING id, tenant_id, terminal_key), \
         entered AS (UPDATE verify_attempts SET entered = 1 WHERE verification_id IN (SELECT id FROM won) \
         AND seq = (SELECT MAX(seq) FROM verify_attempts WHERE verification_id = $2)), \
         failover AS (DELETE FROM verify_failover f USING won \
         WHERE f.tenant_id = won.tenant_id AND f.terminal_key = won.terminal_key), \
         callers AS (DELETE FROM flash_callers WHERE verification_id IN (SELECT id FROM won)) \
         SELECT 1 FROM won",
    )
    .bind(to_ms(now))
    .bind(id)
    .bind(code_hash)
    .fetch_optional(store.pool())
    .await
    .map_err(map_err)?;
    Ok(won.is_some())
}

#[cfg(test)]
mod tests {
    use super::{insert_sql, lock_literal_sql};

    #[test]
    fn only_keys_that_need_no_quoting_become_literals() {
        let ok = "ten_01ab\u{1f}+8613800138000\u{1f}login";
        let sql = lock_literal_sql(ok).unwrap();
        assert!(sql.starts_with("BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('"));
        assert!(sql.contains(ok));
        for hostile in [
            "t\u{1f}+1\u{1f}x'); DROP TABLE verifications; --",
            "t\u{1f}+1\u{1f}a\\b",
            "t\u{1f}+1\u{1f}登录",
            "t\u{1f}+1\u{1f}a b",
            "t\u{1f}+1\u{1f}a\0",
            "",
        ] {
            assert_eq!(lock_literal_sql(hostile), None, "{hostile:?}");
        }
        assert_eq!(lock_literal_sql(&"a".repeat(513)), None);
    }

    #[test]
    fn the_insert_statement_numbers_every_bound_value_once() {
        for (attempts, send) in [(0, false), (1, true), (3, true), (2, false)] {
            let sql = insert_sql(attempts, send);
            let want = 4 + 21 + 11 * attempts + if send { 6 } else { 0 };
            assert!(sql.contains(&format!("${want})")), "{sql}");
            assert!(!sql.contains(&format!("${}", want + 1)), "{sql}");
            assert_eq!(
                sql.matches(" AS (INSERT").count(),
                1 + attempts + usize::from(send)
            );
        }
    }
}
