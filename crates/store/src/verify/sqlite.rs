//! The writes of verifications on SQLite: through the one writer's group
//! commit ([`crate::sqlite_commit`]), each job in as few round trips to the
//! connection's worker thread as its statements allow.

use chrono::{DateTime, Utc};
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{Attempt, CodeHasher, Resend, SendRecord, Status, Verification};
use sqlx::SqliteConnection;

use super::rows::{
    VRowWithAttempts, attempt_columns, bind_attempt, bind_send, bind_verification, newest_first,
    send_columns, v_columns, with_attempts,
};
use crate::sql::{ConnFuture, map_err, to_ms};
use crate::sqlite::SqliteStore;
use crate::sqlite_commit::in_savepoint;

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

/// Binds the values of [`resend_set!`] for resend `$r` sent at `$at`.
macro_rules! bind_resend {
    ($q:expr, $r:expr, $at:expr) => {
        $q.bind(&$r.code_hash)
            .bind(to_ms($r.expires_at))
            .bind(to_ms($at))
            .bind(to_ms($at))
            .bind($r.flash_window_ends_at.map(to_ms))
            .bind(&$r.flash_prefix_hint)
    };
}

type QueryAs<'q, T> = sqlx::query::QueryAs<'q, sqlx::Sqlite, T, sqlx::sqlite::SqliteArguments>;

/// Runs the first statement of a job of two round trips: `SAVEPOINT job`
/// and a conditional `UPDATE … RETURNING tenant_id, terminal_key`. When it
/// changed nothing the savepoint is released here and there is no second trip.
async fn open_job(
    q: QueryAs<'_, (String, String)>,
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

pub(super) async fn insert_verification(
    store: &SqliteStore,
    v: &Verification,
    send: Option<&SendRecord>,
) -> StoreResult<()> {
    let v = v.clone();
    let send = send.cloned();
    store.verify_writer()
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
                let q = sqlx::query(in_savepoint(&statements))
                    .bind(to_ms(v.created_at))
                    .bind(&v.tenant_id)
                    .bind(&v.phone)
                    .bind(&v.purpose);
                let mut q = bind_verification!(q, v, i64::from);
                for a in &v.attempts {
                    q = bind_attempt!(q, &v.id, &v.tenant_id, &v.terminal_key, a, i64::from);
                }
                if let Some(s) = &send {
                    q = bind_send!(q, s);
                }
                q.execute(&mut *c).await.map_err(map_err)?;
                Ok(())
            })
        })
        .await
}

/// The job of `insert_or_resend`. Its first round trip is the whole of a
/// start with nothing pending: it finds the pending, unexpired verification
/// of the phone and purpose (if any: its id, terminal key, last attempt),
/// cancels pending ones that expired, inserts `v` and its attempt, takes
/// them out again (the attempt by the foreign key's cascade) when another
/// verification is still pending, records the send (made either way), and
/// releases the job's savepoint. When one was pending, a second round trip,
/// in a savepoint of its own, gives it the new code (its hash bound to its
/// id) and appends the attempt; should that fail, the send record stays
/// written, as the code was sent.
///
/// Every statement is one a `/v1` start makes too, or a lookup in the
/// phone's index: an insert that depends on a read of its own table
/// (`INSERT … SELECT … WHERE NOT EXISTS`, as this job was first written)
/// makes SQLite buffer the row in a temporary table and open a statement
/// journal for it, and sorting on `id` (not in the index) a temporary
/// b-tree: most of the Twilio path's extra CPU over `/v1`. The delete finds
/// nothing to delete in the common case and writes no page. On SQLite at
/// most one verification of a phone and purpose is pending (every write
/// that adds one cancels or resends to the others in the same job, on the
/// one writer), so the index order ([`newest_first!`]) picks the same one
/// the id did.
pub(super) async fn insert_or_resend(
    store: &SqliteStore,
    v: &Verification,
    send: &SendRecord,
    rehash: CodeHasher,
) -> StoreResult<Option<String>> {
    let (v, send) = (v.clone(), send.clone());
    store.verify_writer()
        .write(move |c: &mut SqliteConnection| {
            Box::pin(async move {
                let mut statements = vec![
                    concat!(
                        "SELECT id, terminal_key, (SELECT COALESCE(MAX(seq), 0) FROM verify_attempts a WHERE a.verification_id = p.id) \
                         FROM verifications p WHERE tenant_id = ? AND phone = ? AND purpose = ? AND status = 'pending' AND expires_at > ?",
                        newest_first!(sqlite),
                        " LIMIT 1"
                    ),
                    "UPDATE verifications SET status = 'canceled', updated_at = ? WHERE tenant_id = ? AND phone = ? AND purpose = ? \
                     AND status = 'pending' AND expires_at <= ?",
                    concat!(
                        "INSERT INTO verifications (",
                        v_columns!(),
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    ),
                ];
                statements.extend(v.attempts.iter().map(|_| insert_attempt!()));
                // `v` is pending too (a start's verification is, until a check):
                // more than one pending means another was.
                debug_assert_eq!(v.status, Status::Pending);
                statements.push(
                    "DELETE FROM verifications WHERE id = ? AND (SELECT COUNT(*) FROM verifications \
                     WHERE tenant_id = ? AND phone = ? AND purpose = ? AND status = 'pending') > 1",
                );
                statements.push(insert_send!());
                let now = to_ms(v.created_at);
                let q = sqlx::query_as(in_savepoint(&statements))
                    .bind(&v.tenant_id).bind(&v.phone).bind(&v.purpose).bind(now)
                    .bind(now).bind(&v.tenant_id).bind(&v.phone).bind(&v.purpose).bind(now);
                let mut q = bind_verification!(q, v, i64::from);
                for a in &v.attempts {
                    q = bind_attempt!(q, &v.id, &v.tenant_id, &v.terminal_key, a, i64::from);
                }
                let q = q.bind(&v.id).bind(&v.tenant_id).bind(&v.phone).bind(&v.purpose);
                let pending: Vec<(String, String, i64)> = bind_send!(q, &send)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(map_err)?;
                let Some((id, key, last_seq)) = pending.into_iter().next() else {
                    return Ok(None);
                };
                let Some(sent) = v.attempts.last() else {
                    return Ok(Some(id));
                };
                let (a, r) = super::rows::resend_to(&v, &id, last_seq, sent, &rehash);
                let q = sqlx::query(concat!(
                    "SAVEPOINT job; ",
                    resend_set!(),
                    " WHERE id = ?; ",
                    insert_attempt!(),
                    "; RELEASE job"
                ));
                let q = bind_resend!(q, r, a.sent_at).bind(&id);
                bind_attempt!(q, &id, &v.tenant_id, &key, &a, i64::from)
                    .execute(&mut *c)
                    .await
                    .map_err(map_err)?;
                Ok(Some(id))
            })
        })
        .await
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
        .verify_writer()
        .write(move |c: &mut SqliteConnection| {
            Box::pin(async move {
                let q = sqlx::query_as(concat!(
                    "SAVEPOINT job; ",
                    resend_set!(),
                    " WHERE id = ? AND status = 'pending' RETURNING tenant_id, terminal_key"
                ));
                let key = open_job(bind_resend!(q, r, a.sent_at).bind(&id), c).await?;
                let Some((tenant, key)) = key else {
                    return Ok(false);
                };
                let q = sqlx::query(concat!(
                    insert_attempt!(),
                    "; ",
                    insert_send!(),
                    "; RELEASE job"
                ));
                let q = bind_attempt!(q, &id, &tenant, &key, &a, i64::from);
                bind_send!(q, &send)
                    .execute(&mut *c)
                    .await
                    .map_err(map_err)?;
                Ok(true)
            })
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
    store.verify_writer()
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
