//! Risk results on a SQLite file, written on the request's own thread.
//!
//! Every assessed event writes one row. Through sqlx each write was a hop to
//! a writer task and a round trip to the connection's worker thread; at
//! 1,000 events/s those wake-ups, not SQLite, were most of an event's CPU
//! (docs/benchmarks.md, issue 23). Here the rows wait in a queue and whichever
//! request finds the writer free becomes the *combiner*: it writes every
//! queued row in one transaction on a connection of its own (rusqlite,
//! synchronously, on its thread), answers each row's caller after the
//! `COMMIT`, and looks at the queue again before leaving. A caller still
//! returns only after its row is committed; a burst costs one commit.
//!
//! **One writer.** SQLite lets one writer in at a time, and the store's other
//! writes go through sqlx's single writer connection. The combiner holds that
//! connection (a pool guard, no statement on it) while it writes, so the two
//! connections never write at once: no busy waits, no snapshot conflicts.
//!
//! A combiner blocks its runtime thread for the length of its transaction:
//! one row is tens of µs; a batch is capped at [`MAX_BATCH`] rows.

use std::path::Path;
use std::sync::Mutex;

use crate::conns::SqliteConns as SqlitePool;
use phoneguard_core::StoreError;
use phoneguard_core::risk::RiskRecord;
use phoneguard_core::store::StoreResult;
use tokio::sync::oneshot;

use super::{columns, json_fields};
use crate::sql::to_ms;

/// Most rows one combiner writes before it lets the next request in.
const MAX_BATCH: usize = 256;

type Job = (RiskRecord, oneshot::Sender<StoreResult<()>>);

/// The statement of one row.
const INSERT: &str = concat!(
    "INSERT INTO risk_results (",
    columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
);

/// The writer of risk results on a SQLite file (see the module doc).
pub(crate) struct DirectWriter {
    queue: Mutex<Vec<Job>>,
    conn: Mutex<rusqlite::Connection>,
    /// sqlx's writer pool: its one connection is held while this one writes.
    writer: SqlitePool,
}

fn sqlite_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(e.to_string())
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(format!("risk_results: {e}")),
    }
}

impl DirectWriter {
    /// Opens the writing connection on the database file at `path` (already
    /// created and migrated through `writer`).
    pub(crate) fn open(path: &Path, writer: SqlitePool) -> StoreResult<Self> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        // As the sqlx connections (crate::sqlite): WAL is the file's; the rest
        // is per connection.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -8192; PRAGMA busy_timeout = 5000",
        )
        .map_err(sqlite_err)?;
        Ok(DirectWriter {
            queue: Mutex::new(Vec::new()),
            conn: Mutex::new(conn),
            writer,
        })
    }

    /// Queues `r` and returns once it is committed (or refused).
    pub(crate) async fn insert(&self, r: RiskRecord) -> StoreResult<()> {
        let (done, mut wait) = oneshot::channel();
        lock(&self.queue).push((r, done));
        loop {
            // Free writer: this request combines (its own row is queued, so
            // the queue is not empty unless another combiner took it).
            if let Some(guard) = self.writer.try_acquire() {
                self.combine();
                drop(guard);
            } else {
                // Another writer is in: its turn ends with this row written
                // (a risk combiner) or with the connection free again.
                tokio::select! {
                    answer = &mut wait => {
                        return answer.unwrap_or_else(|_| Err(gone()));
                    }
                    guard = self.writer.acquire() => {
                        if let Ok(guard) = guard {
                            self.combine();
                            drop(guard);
                        }
                    }
                }
            }
            match wait.try_recv() {
                Ok(answer) => return answer,
                Err(oneshot::error::TryRecvError::Closed) => return Err(gone()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
    }

    /// Writes what is queued, [`MAX_BATCH`] rows at a time, until the queue
    /// is empty. The caller holds sqlx's writer connection.
    fn combine(&self) {
        let conn = lock(&self.conn);
        loop {
            let batch: Vec<Job> = {
                let mut q = lock(&self.queue);
                let n = q.len().min(MAX_BATCH);
                q.drain(..n).collect()
            };
            if batch.is_empty() {
                return;
            }
            write_batch(&conn, batch);
        }
    }
}

fn gone() -> StoreError {
    StoreError::Unavailable("the risk result writer has stopped".into())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One transaction for the batch; a row that fails (a constraint) fails
/// alone, the others commit. If the commit fails, every row reports it.
///
/// `BEGIN`, `COMMIT` and `ROLLBACK` are cached statements like the insert:
/// through `execute_batch` (rusqlite's `Transaction`) each was parsed again
/// on every batch, and at 1,000 events/s a batch is one row.
fn write_batch(conn: &rusqlite::Connection, batch: Vec<Job>) {
    if let Err(e) = run_cached(conn, "BEGIN IMMEDIATE") {
        return fail_all(batch, &sqlite_err(e));
    }
    let mut answers = Vec::with_capacity(batch.len());
    {
        let mut stmt = match conn.prepare_cached(INSERT) {
            Ok(s) => s,
            Err(e) => {
                let _ = run_cached(conn, "ROLLBACK");
                return fail_all(batch, &sqlite_err(e));
            }
        };
        for (r, done) in batch {
            answers.push((insert_row(&mut stmt, &r), done));
        }
    }
    let committed = run_cached(conn, "COMMIT").map_err(sqlite_err);
    if committed.is_err() && !conn.is_autocommit() {
        let _ = run_cached(conn, "ROLLBACK");
    }
    for (row, done) in answers {
        let _ = done.send(match (&committed, row) {
            (_, Err(e)) => Err(e),
            (Ok(()), Ok(())) => Ok(()),
            (Err(e), Ok(())) => Err(e.clone()),
        });
    }
}

/// Runs a statement without parameters or rows through the statement cache.
fn run_cached(conn: &rusqlite::Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn fail_all(batch: Vec<Job>, e: &StoreError) {
    for (_, done) in batch {
        let _ = done.send(Err(e.clone()));
    }
}

fn insert_row(stmt: &mut rusqlite::CachedStatement<'_>, r: &RiskRecord) -> StoreResult<()> {
    let (types, reasons) = json_fields(r)?;
    stmt.execute(rusqlite::params![
        r.token,
        r.tenant_id,
        r.kind,
        i64::from(r.level),
        r.decision,
        types,
        reasons,
        r.score,
        r.device_hash,
        r.account_hash,
        to_ms(r.created_at),
        to_ms(r.expires_at),
        r.ip_hash,
    ])
    .map_err(sqlite_err)?;
    Ok(())
}
