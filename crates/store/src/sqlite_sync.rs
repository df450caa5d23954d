//! Reads of a SQLite file on the request's own thread.
//!
//! A read through sqlx is a round trip to the worker thread of one of its
//! connections: two context switches and two wake-ups, which on this kind of
//! machine cost several times the read itself (a verification start and
//! check made four of them; docs/benchmarks.md, issue 23). The reads of the
//! verification path go here instead: a read-only rusqlite connection taken
//! from a small pool, the statement run synchronously on the calling thread
//! (the runtime thread is blocked for the length of the read: tens of µs on
//! a local file whose hot pages are in the OS cache), and the connection
//! given back.
//!
//! A read sees every write committed before it starts (WAL). The pool keeps
//! at most [`MAX_IDLE`] connections; a read that finds none idle opens one.
//!
//! The verification writes go the same way: [`SyncWriter`] commits them on
//! the thread of a request that is waiting for one, not on a writer thread.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use tokio::sync::oneshot;

use crate::conns::SqliteConns;

/// Idle connections kept for the next reads (one per runtime thread is
/// enough; more only when reads overlap on a larger machine).
const MAX_IDLE: usize = 8;

/// Read-only rusqlite connections to one database file.
pub(crate) struct SyncReaders {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

/// The store's error for a rusqlite error (a busy or locked database is
/// `Unavailable`, a constraint a `Conflict`).
pub(crate) fn sqlite_err(e: rusqlite::Error) -> StoreError {
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
        _ => StoreError::Other(format!("SQLite: {e}")),
    }
}

impl SyncReaders {
    /// Readers of the database file at `path` (already created and migrated);
    /// one connection is opened now, so that a file that cannot be read is
    /// an error at start-up rather than on the first request.
    pub(crate) fn open(path: &Path) -> StoreResult<Self> {
        let readers = SyncReaders {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        };
        let first = readers.connect()?;
        readers.lock().push(first);
        Ok(readers)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<rusqlite::Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn connect(&self) -> StoreResult<rusqlite::Connection> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| {
            StoreError::Unavailable(format!("cannot open {}: {e}", self.path.display()))
        })?;
        // As the sqlx readers (crate::sqlite): 8 MiB of page cache, a busy
        // wait only while a checkpoint resets the WAL.
        conn.execute_batch(
            "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192; PRAGMA busy_timeout = 5000",
        )
        .map_err(sqlite_err)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    /// Runs `f` on an idle connection, on this thread.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> StoreResult<T> {
        let taken = self.lock().pop();
        let conn = match taken {
            Some(c) => c,
            None => self.connect()?,
        };
        let out = f(&conn).map_err(sqlite_err);
        // A connection left inside a transaction (it never is: `f` runs
        // statements in autocommit) would pin an old snapshot: drop it.
        if conn.is_autocommit() {
            let mut idle = self.lock();
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        out
    }
}

/// Most jobs one combiner commits in one transaction before it looks at the
/// queue again.
const MAX_BATCH: usize = 64;

/// One queued write: runs in the batch's transaction, then hears its fate.
trait SyncJob: Send {
    /// Runs the job's statements (inside the savepoint `job`); `false` when
    /// it failed and its savepoint must be rolled back.
    fn run(&mut self, conn: &rusqlite::Connection) -> bool;
    /// Answers the caller once the batch is committed (or is not).
    fn finish(self: Box<Self>, committed: StoreResult<()>);
}

struct FnJob<T, F> {
    work: Option<F>,
    result: Option<StoreResult<T>>,
    done: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> SyncJob for FnJob<T, F>
where
    T: Send,
    F: FnOnce(&rusqlite::Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &rusqlite::Connection) -> bool {
        let Some(work) = self.work.take() else {
            return true;
        };
        let r = work(conn);
        let ok = r.is_ok();
        self.result = Some(r);
        ok
    }

    fn finish(self: Box<Self>, committed: StoreResult<()>) {
        let _ = self
            .done
            .send(crate::sqlite_commit::answer(self.result, committed));
    }
}

/// Writes on the request's thread, by group commit without a writer thread.
///
/// A write is queued, and whichever request finds SQLite's one writer free
/// becomes the *combiner*: on a rusqlite connection of its own, on its
/// thread, it runs every queued job in one transaction (each job in the
/// savepoint `job`, rolled back alone when the job fails), commits, answers
/// each job, and looks at the queue again before leaving. A caller returns
/// only after its job is committed, so an acknowledged write is as durable
/// as through sqlx; a burst costs one commit; and below saturation a write
/// is no round trip to another thread at all (through sqlx's writer it was
/// two to six, each two context switches).
///
/// **One writer.** The combiner holds sqlx's writer connection (a pool
/// guard, no statement on it) while it writes, as the risk writer does
/// (`risk::direct`): the store's other writes wait for it in the pool, never
/// in SQLite's busy handler.
pub(crate) struct SyncWriter {
    queue: Mutex<Vec<Box<dyn SyncJob>>>,
    conn: Mutex<rusqlite::Connection>,
    /// sqlx's writer pool: its one connection is held while this one writes.
    writer: SqliteConns,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SyncWriter {
    /// Opens the writing connection on the database file at `path` (already
    /// created and migrated through `writer`).
    pub(crate) fn open(path: &Path, writer: SqliteConns) -> StoreResult<Self> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        // As sqlx's writer (crate::sqlite): WAL is the file's; the rest is
        // per connection.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
             PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -32768; PRAGMA busy_timeout = 5000",
        )
        .map_err(sqlite_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SyncWriter {
            queue: Mutex::new(Vec::new()),
            conn: Mutex::new(conn),
            writer,
        })
    }

    /// Runs `work` in the next batch and returns its result once the batch
    /// is committed. If `work` fails, whatever it wrote is undone and the
    /// rest of the batch commits.
    pub(crate) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (done, mut wait) = oneshot::channel();
        lock(&self.queue).push(Box::new(FnJob {
            work: Some(move |c: &rusqlite::Connection| work(c).map_err(sqlite_err)),
            result: None,
            done,
        }));
        loop {
            // Free writer: this request combines (its own job is queued, so
            // the queue is empty only if another combiner took it).
            if let Some(guard) = self.writer.try_acquire() {
                self.combine();
                drop(guard);
            } else {
                // Another writer is in: its turn ends with this job written
                // (a combiner) or with the connection free again.
                tokio::select! {
                    answer = &mut wait => return answer.unwrap_or_else(|_| Err(gone())),
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

    /// Commits up to [`MAX_BATCH`] queued jobs in one transaction. The caller
    /// holds sqlx's writer connection.
    ///
    /// One batch a turn, not until the queue is empty: under saturation the
    /// queue refills as fast as it drains, and a combiner that stayed until
    /// it was empty held its runtime thread for seconds while the requests
    /// on that thread waited (a p99 of 4.5 s at 3,000 pairs/s asked). Jobs
    /// left queued are their callers', who wait for the writer connection
    /// this turn gives back.
    fn combine(&self) {
        let conn = lock(&self.conn);
        let batch: Vec<Box<dyn SyncJob>> = {
            let mut q = lock(&self.queue);
            let n = q.len().min(MAX_BATCH);
            q.drain(..n).collect()
        };
        if !batch.is_empty() {
            commit_batch(&conn, batch);
        }
    }
}

fn gone() -> StoreError {
    StoreError::Unavailable("the SQLite writer has stopped".into())
}

/// One transaction for the batch, a savepoint for each job.
fn commit_batch(conn: &rusqlite::Connection, mut batch: Vec<Box<dyn SyncJob>>) {
    let outcome = (|| {
        // A combiner that panicked inside a job left its transaction open.
        if !conn.is_autocommit() {
            conn.execute_batch("ROLLBACK").map_err(sqlite_err)?;
        }
        conn.execute_batch("BEGIN IMMEDIATE").map_err(sqlite_err)?;
        for job in &mut batch {
            let step = conn
                .execute_batch("SAVEPOINT job")
                .map_err(sqlite_err)
                .map(|()| job.run(conn))
                .and_then(|ok| {
                    let end = if ok {
                        "RELEASE job"
                    } else {
                        "ROLLBACK TO job; RELEASE job"
                    };
                    conn.execute_batch(end).map_err(sqlite_err)
                });
            if let Err(e) = step {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        conn.execute_batch("COMMIT")
            .map_err(sqlite_err)
            .inspect_err(|_| {
                let _ = conn.execute_batch("ROLLBACK");
            })
    })();
    for job in batch {
        job.finish(outcome.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_sees_committed_writes_and_errors_name_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let w = rusqlite::Connection::open(&path).unwrap();
        w.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER)")
            .unwrap();
        let r = SyncReaders::open(&path).unwrap();
        let count = |r: &SyncReaders| {
            r.read(|c| c.query_row("SELECT COUNT(*) FROM t", [], |row| row.get::<_, i64>(0)))
                .unwrap()
        };
        assert_eq!(count(&r), 0);
        w.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert_eq!(count(&r), 1, "a committed row is seen by the next read");
        // Read-only: a write through a reader is refused, and the connection
        // still serves the next read.
        let e = r
            .read(|c| c.execute("INSERT INTO t VALUES (2)", []))
            .unwrap_err();
        assert!(e.to_string().contains("readonly"), "{e}");
        assert_eq!(count(&r), 1);
        let e = r
            .read(|c| c.execute("SELECT * FROM missing", []))
            .unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
    }

    /// A store on a file of its own, with a table `t (k PRIMARY KEY, v)`.
    async fn store_with_table() -> (tempfile::TempDir, crate::sqlite::SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = crate::sqlite::SqliteStore::open(&url).await.unwrap();
        store
            .sync_writer()
            .write(|c| c.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"))
            .await
            .unwrap();
        (dir, store)
    }

    fn rows(store: &crate::sqlite::SqliteStore) -> Vec<(String, i64)> {
        store
            .sync_read(|c| {
                c.prepare("SELECT k, v FROM t ORDER BY k, v")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .unwrap()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_commit_and_a_failed_job_is_undone_alone() {
        let (_dir, store) = store_with_table().await;
        let mut tasks = Vec::new();
        for (i, k) in ["a", "b", "a", "c", "d", "e"].into_iter().enumerate() {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                // Two statements a job: the second fails for the second "a".
                store
                    .sync_writer()
                    .write(move |c| {
                        c.execute("INSERT INTO t VALUES (?1 || '-first', ?2)", (k, i as i64))?;
                        c.execute("INSERT INTO t VALUES (?1, ?2)", (k, i as i64))
                    })
                    .await
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let failed: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
        assert_eq!(failed.len(), 1, "{results:?}");
        assert!(
            matches!(failed[0], Err(StoreError::Conflict(_))),
            "{failed:?}"
        );
        let got = rows(&store);
        // Five jobs of two rows each; nothing of the failed one.
        assert_eq!(got.len(), 10, "{got:?}");
        assert_eq!(got.iter().filter(|(k, _)| k == "a-first").count(), 1);
        let a = got.iter().find(|(k, _)| k == "a").unwrap().1;
        let a_first = got.iter().find(|(k, _)| k == "a-first").unwrap().1;
        assert_eq!(a, a_first, "the winner's two rows, not one of each");
    }

    #[tokio::test]
    async fn a_writer_left_in_a_transaction_recovers_and_sqlx_writes_wait_their_turn() {
        let (_dir, store) = store_with_table().await;
        // A job that opens a transaction of its own and fails leaves nothing
        // open behind it: the next write commits.
        let e = store
            .sync_writer()
            .write(|c| c.execute_batch("INSERT INTO t VALUES ('x', 1); COMMIT; BEGIN; SELECT nope"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        store
            .sync_writer()
            .write(|c| c.execute("INSERT INTO t VALUES ('y', 2)", []))
            .await
            .unwrap();
        // A write through sqlx's writer, between two of ours, is not refused
        // as busy: the two never write at once.
        sqlx::query("INSERT INTO t VALUES ('z', 3)")
            .execute(store.pool())
            .await
            .unwrap();
        let got = rows(&store);
        assert!(
            got.contains(&("y".into(), 2)) && got.contains(&("z".into(), 3)),
            "{got:?}"
        );
    }

    #[test]
    fn a_file_that_does_not_exist_is_an_error_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let e = SyncReaders::open(&dir.path().join("nope.db"))
            .err()
            .expect("no such file");
        assert!(e.to_string().contains("nope.db"), "{e}");
    }
}
