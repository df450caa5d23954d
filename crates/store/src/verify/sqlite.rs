//! The writes of verifications on SQLite. Those of a start and a check
//! (insert, resend, approve) run on the request's thread, by group commit
//! without a writer thread ([`crate::sqlite_sync::SyncWriter`]), each a few
//! cached statements; the rarer ones (`write`) through the one sqlx writer's
//! group commit ([`crate::sqlite_commit`]).

use chrono::{DateTime, Utc};
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{Attempt, CodeHasher, Resend, SendRecord, Status, Verification};
use rusqlite::{Connection, OptionalExtension};
use sqlx::SqliteConnection;

use super::rows::{
    VRowWithAttempts, attempt_columns, entered_at_once, newest_first, send_columns, v_columns,
    with_attempts,
};
use crate::sql::{ConnFuture, map_err, to_ms};
use crate::sqlite::SqliteStore;
use crate::sqlite_sync::sqlite_err;

/// The statement of an attempt, within a job.
macro_rules! insert_attempt {
    () => {
        concat!(
            "INSERT INTO verify_attempts (",
            attempt_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
    };
}

/// The statement of a send record, within a job.
macro_rules! insert_send {
    () => {
        concat!(
            "INSERT INTO verify_sends (",
            send_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?)"
        )
    };
}

/// The `SET` of a resend: new code hash, expiry, send time, flash fields
/// (`?` for each, in the order of `bind_resend!`).
macro_rules! resend_set {
    () => {
        "UPDATE verifications SET code_hash = ?, expires_at = ?, last_sent_at = ?, updated_at = ?, \
         flash_window_ends_at = COALESCE(?, flash_window_ends_at), \
         flash_prefix_hint = COALESCE(?, flash_prefix_hint)"
    };
}

type QueryAs<'q, T> = sqlx::query::QueryAs<'q, sqlx::Sqlite, T, sqlx::sqlite::SqliteArguments>;

/// Runs `work` in the writer's next batch (see [`crate::sqlite_commit`]).
pub(super) async fn write<T, F>(store: &SqliteStore, work: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> ConnFuture<'c, T> + Send + 'static,
{
    store.verify_writer().write(work).await
}

/// The verification `q` selects, with its attempts, from a reader.
pub(super) async fn load(
    store: &SqliteStore,
    q: QueryAs<'_, VRowWithAttempts>,
) -> StoreResult<Option<Verification>> {
    q.fetch_optional(store.readers())
        .await
        .map_err(map_err)?
        .map(with_attempts)
        .transpose()
}

/// Inserts `v`'s row.
fn insert_v(c: &Connection, v: &Verification) -> rusqlite::Result<usize> {
    c.prepare_cached(concat!(
        "INSERT INTO verifications (",
        v_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))?
    .execute(rusqlite::params![
        v.id,
        v.tenant_id,
        v.phone,
        v.country,
        v.carrier,
        v.purpose,
        v.terminal_key,
        v.channel.as_str(),
        v.status.as_str(),
        v.code_hash,
        v.locale,
        v.code_length,
        v.check_attempts,
        v.max_check_attempts,
        to_ms(v.last_sent_at),
        to_ms(v.expires_at),
        v.flash_window_ends_at.map(to_ms),
        v.flash_prefix_hint,
        v.app_hash,
        to_ms(v.created_at),
        to_ms(v.updated_at),
    ])
}

/// Inserts attempt `a` of verification `v_id` (tenant `tenant`, terminal `key`).
fn insert_a(
    c: &Connection,
    v_id: &str,
    tenant: &str,
    key: &str,
    a: &Attempt,
) -> rusqlite::Result<usize> {
    c.prepare_cached(insert_attempt!())?
        .execute(rusqlite::params![
            v_id,
            a.seq,
            tenant,
            key,
            a.channel.as_str(),
            a.supplier,
            a.carrier,
            to_ms(a.sent_at),
            a.delivery.as_str(),
            a.message_ref,
            entered_at_once(a),
        ])
}

/// Inserts send record `s`.
fn insert_s(c: &Connection, s: &SendRecord) -> rusqlite::Result<usize> {
    c.prepare_cached(insert_send!())?.execute(rusqlite::params![
        s.tenant_id,
        to_ms(s.at),
        s.phone,
        s.ip_hash,
        s.country,
        s.prefix,
    ])
}

/// Gives pending verification `id` the code of resend `r` sent at `at`;
/// its tenant and terminal key, or `None` when it is no longer pending.
fn resend_row(
    c: &Connection,
    id: &str,
    r: &Resend,
    at: DateTime<Utc>,
) -> rusqlite::Result<Option<(String, String)>> {
    c.prepare_cached(concat!(
        resend_set!(),
        " WHERE id = ? AND status = 'pending' RETURNING tenant_id, terminal_key"
    ))?
    .query_row(
        rusqlite::params![
            r.code_hash,
            to_ms(r.expires_at),
            to_ms(at),
            to_ms(at),
            r.flash_window_ends_at.map(to_ms),
            r.flash_prefix_hint,
            id,
        ],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .optional()
}

pub(super) async fn insert_verification(
    store: &SqliteStore,
    v: &Verification,
    send: Option<&SendRecord>,
) -> StoreResult<()> {
    let v = v.clone();
    let send = send.cloned();
    store
        .sync_writer()
        .write(move |c| {
            c.prepare_cached(
                "UPDATE verifications SET status = 'canceled', updated_at = ? \
             WHERE tenant_id = ? AND phone = ? AND purpose = ? AND status = 'pending'",
            )?
            .execute((to_ms(v.created_at), &v.tenant_id, &v.phone, &v.purpose))?;
            insert_v(c, &v)?;
            for a in &v.attempts {
                insert_a(c, &v.id, &v.tenant_id, &v.terminal_key, a)?;
            }
            if let Some(s) = &send {
                insert_s(c, s)?;
            }
            Ok(())
        })
        .await
}

/// The job of `insert_or_resend`: pending verifications of the phone and
/// purpose that expired are canceled; then either the pending, unexpired one
/// (the newest, in the phone's index order, [`newest_first!`]; on SQLite's one
/// writer at most one is pending) gets the new code (its hash bound to its
/// id) and the attempt, numbered after its last, or `v` is inserted with its
/// attempt. The send is recorded either way (the code was sent): should the
/// resend's own statements fail, they are undone alone and the record stays.
pub(super) async fn insert_or_resend(
    store: &SqliteStore,
    v: &Verification,
    send: &SendRecord,
    rehash: CodeHasher,
) -> StoreResult<Option<String>> {
    let (v, send) = (v.clone(), send.clone());
    // `v` is pending (a start's verification is, until a check).
    debug_assert_eq!(v.status, Status::Pending);
    store
        .sync_writer()
        .write(move |c| {
            let now = to_ms(v.created_at);
            insert_s(c, &send)?;
            let pending: Option<(String, String, i64)> = c
                .prepare_cached(concat!(
                    "SELECT id, terminal_key, (SELECT COALESCE(MAX(seq), 0) FROM verify_attempts a \
                 WHERE a.verification_id = p.id) FROM verifications p WHERE tenant_id = ? \
                 AND phone = ? AND purpose = ? AND status = 'pending' AND expires_at > ?",
                    newest_first!(sqlite),
                    " LIMIT 1"
                ))?
                .query_row((&v.tenant_id, &v.phone, &v.purpose, now), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            c.prepare_cached(
                "UPDATE verifications SET status = 'canceled', updated_at = ? WHERE tenant_id = ? \
             AND phone = ? AND purpose = ? AND status = 'pending' AND expires_at <= ?",
            )?
            .execute((now, &v.tenant_id, &v.phone, &v.purpose, now))?;
            let Some((id, key, last_seq)) = pending else {
                insert_v(c, &v)?;
                for a in &v.attempts {
                    insert_a(c, &v.id, &v.tenant_id, &v.terminal_key, a)?;
                }
                return Ok(Ok(None));
            };
            let Some(sent) = v.attempts.last() else {
                return Ok(Ok(Some(id)));
            };
            let (a, r) = super::rows::resend_to(&v, &id, last_seq, sent, &rehash);
            c.execute_batch("SAVEPOINT resend")?;
            let resent = resend_row(c, &id, &r, a.sent_at)
                .and_then(|_| insert_a(c, &id, &v.tenant_id, &key, &a));
            Ok(match resent {
                Ok(_) => {
                    c.execute_batch("RELEASE resend")?;
                    Ok(Some(id))
                }
                Err(e) => {
                    c.execute_batch("ROLLBACK TO resend; RELEASE resend")?;
                    Err(sqlite_err(e))
                }
            })
        })
        .await?
}

pub(super) async fn resend(
    store: &SqliteStore,
    id: &str,
    r: &Resend,
    a: &Attempt,
    send: &SendRecord,
) -> StoreResult<bool> {
    let (id, r, a, send) = (id.to_string(), r.clone(), a.clone(), send.clone());
    store
        .sync_writer()
        .write(move |c| {
            let Some((tenant, key)) = resend_row(c, &id, &r, a.sent_at)? else {
                return Ok(false);
            };
            insert_a(c, &id, &tenant, &key, &a)?;
            insert_s(c, &send)?;
            Ok(true)
        })
        .await
}

pub(super) async fn approve(
    store: &SqliteStore,
    id: &str,
    code_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let (id, code_hash) = (id.to_string(), code_hash.to_string());
    store
        .sync_writer()
        .write(move |c| {
            let won: Option<(String, String)> = c
                .prepare_cached(
                    "UPDATE verifications SET status = 'approved', updated_at = ? \
                 WHERE id = ? AND status = 'pending' AND code_hash = ? AND expires_at > ? \
                 AND check_attempts < max_check_attempts RETURNING tenant_id, terminal_key",
                )?
                .query_row((to_ms(now), &id, &code_hash, to_ms(now)), |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let Some((tenant, key)) = won else {
                return Ok(false);
            };
            c.prepare_cached(
                "UPDATE verify_attempts SET entered = 1 WHERE verification_id = ? \
             AND seq = (SELECT MAX(seq) FROM verify_attempts WHERE verification_id = ?)",
            )?
            .execute((&id, &id))?;
            c.prepare_cached(
                "DELETE FROM verify_failover WHERE tenant_id = ? AND terminal_key = ?",
            )?
            .execute((&tenant, &key))?;
            c.prepare_cached("DELETE FROM flash_callers WHERE verification_id = ?")?
                .execute([&id])?;
            Ok(true)
        })
        .await
}
