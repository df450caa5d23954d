//! Group commit on the one SQLite writer.
//!
//! Every statement on a sqlx SQLite connection is a round trip to that
//! connection's worker thread: two context switches, which on this kind of
//! machine cost more than the statement itself. A verification start was six of
//! them on the writer (`BEGIN`, four statements, `COMMIT`) and a check as many,
//! each pair holding the one writer for a dozen round trips while other requests
//! queued behind it.
//!
//! [`GroupCommit`] takes every write job waiting (at least one, at most
//! [`MAX_BATCH`]), runs them in one transaction and answers each only after the
//! `COMMIT`: an acknowledged write is as durable as before, but a burst costs
//! one `BEGIN`/`COMMIT` pair and one WAL append instead of one per request. A
//! job that fails is undone alone: a job of more than one statement opens the
//! savepoint `job` in its first round trip and releases it in its last (see
//! [`in_savepoint`]), and the savepoint of a job that fails is rolled back
//! before the next job runs. There is no timer: an idle writer takes the next
//! job at once. A batch of one job (the common case below saturation) runs
//! without `BEGIN`/`COMMIT`: its savepoint is its transaction.

use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use sqlx::{Connection, SqliteConnection};

use crate::conns::SqliteConns as SqlitePool;
use tokio::sync::{mpsc, oneshot};

use crate::sql::{ConnFuture, map_err};

/// Most jobs committed in one transaction.
pub(crate) const MAX_BATCH: usize = 64;

/// The SQL of several statements in the job savepoint: one round trip to the
/// worker thread for all of them, undone together when one fails.
pub(crate) fn in_savepoint(statements: &[&str]) -> sqlx::AssertSqlSafe<String> {
    let mut sql = String::from("SAVEPOINT job; ");
    for st in statements {
        sql.push_str(st);
        sql.push_str("; ");
    }
    sql.push_str("RELEASE job");
    sqlx::AssertSqlSafe(sql)
}

/// One write of a batch, type-erased.
trait Job: Send {
    /// Runs the job's statements on the batch's transaction.
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> ConnFuture<'c, ()>;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, committed: StoreResult<()>);
}

struct FnJob<T, F> {
    work: Option<F>,
    result: Option<StoreResult<T>>,
    done: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for FnJob<T, F>
where
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> ConnFuture<'c, T> + Send + 'static,
{
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> ConnFuture<'c, ()> {
        Box::pin(async move {
            let Some(work) = self.work.take() else {
                return Ok(());
            };
            let r = work(conn).await;
            let failed = r.as_ref().err().cloned();
            self.result = Some(r);
            failed.map_or(Ok(()), Err)
        })
    }

    fn finish(self: Box<Self>, committed: StoreResult<()>) {
        let _ = self.done.send(answer(self.result, committed));
    }
}

/// The answer of a job of a batch: its own result (`None` when it did not
/// run) and the fate of the batch's commit.
pub(crate) fn answer<T>(
    result: Option<StoreResult<T>>,
    committed: StoreResult<()>,
) -> StoreResult<T> {
    match (result, committed) {
        // A job that failed on its own reports its own error.
        (Some(Err(e)), _) => Err(e),
        (Some(Ok(v)), Ok(())) => Ok(v),
        (Some(Ok(_)), Err(e)) | (None, Err(e)) => Err(e),
        (None, Ok(())) => Err(StoreError::Other("write job did not run".into())),
    }
}

/// The group-commit writer: a task that owns the writer connection while it
/// commits a batch (other writers take it between batches).
pub(crate) struct GroupCommit {
    tx: mpsc::Sender<Box<dyn Job>>,
}

impl GroupCommit {
    /// Starts the writer task on the current runtime.
    pub(crate) fn spawn(pool: SqlitePool) -> Self {
        let (tx, mut rx) = mpsc::channel::<Box<dyn Job>>(16 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                commit_batch(&pool, &mut batch).await;
            }
        });
        GroupCommit { tx }
    }

    /// Runs `work` in the next batch and returns its result once the batch is
    /// committed. `work` may run several statements; if it returns an error,
    /// whatever it wrote inside the job savepoint is undone.
    pub(crate) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> ConnFuture<'c, T> + Send + 'static,
    {
        let gone = || StoreError::Unavailable("the SQLite writer has stopped".into());
        let (done, wait) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(FnJob {
            work: Some(work),
            result: None,
            done,
        });
        self.tx.send(job).await.map_err(|_| gone())?;
        wait.await.map_err(|_| gone())?
    }
}

async fn commit_batch(pool: &SqlitePool, batch: &mut Vec<Box<dyn Job>>) {
    let outcome = run_batch(pool, batch).await;
    for job in batch.drain(..) {
        job.finish(outcome.clone());
    }
}

async fn run_batch(pool: &SqlitePool, batch: &mut [Box<dyn Job>]) -> StoreResult<()> {
    let mut conn = pool.acquire().await.map_err(map_err)?;
    if let [job] = batch {
        // A job alone needs no `BEGIN IMMEDIATE` and `COMMIT` round trips:
        // its one statement commits by itself, and the savepoint a job of
        // more statements opens is a transaction that its `RELEASE` commits.
        // After a failure nothing may stay open: the savepoint is rolled
        // back, and any transaction left is ended (errors there only say
        // that there was nothing to end).
        if job.run(&mut conn).await.is_err() {
            let _ = sqlx::query("ROLLBACK TO job; RELEASE job")
                .execute(&mut *conn)
                .await;
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        return Ok(());
    }
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
    for job in batch.iter_mut() {
        if job.run(&mut tx).await.is_err() {
            // Undo the failed job only. A job of one statement has no
            // savepoint (SQLite undoes a failed statement by itself); the
            // "no such savepoint" error then is expected and harmless.
            let _ = sqlx::query("ROLLBACK TO job; RELEASE job")
                .execute(&mut *tx)
                .await;
            if !still_in_transaction(&mut tx).await {
                // SQLite ended the whole transaction (IOERR, FULL, NOMEM…):
                // the jobs before this one are undone too, and the ones after
                // must not run outside a transaction. Every job of the batch
                // fails, and the connection, whose transaction state sqlx no
                // longer knows, is closed rather than reused.
                drop(tx);
                conn.close_on_drop();
                return Err(StoreError::Unavailable(
                    "SQLite rolled back a batch of writes after an error; none of it was committed"
                        .into(),
                ));
            }
        }
    }
    tx.commit().await.map_err(map_err)
}

/// Whether `conn` is still inside the batch's transaction. `BEGIN` fails with
/// "cannot start a transaction within a transaction" inside one and succeeds
/// outside one (the caller then closes the connection, which ends it).
async fn still_in_transaction(conn: &mut SqliteConnection) -> bool {
    match sqlx::query("BEGIN").execute(&mut *conn).await {
        Err(e) => e.to_string().contains("within a transaction"),
        Ok(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool() -> SqlitePool {
        pool_at("sqlite::memory:").await
    }

    /// A pool on `url` with the test table (a file, for a test that needs the
    /// data to outlive a connection).
    async fn pool_at(url: &str) -> SqlitePool {
        use std::str::FromStr;
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .unwrap()
            .create_if_missing(true);
        let pool = SqlitePool::open(&opts, 1, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        pool
    }

    fn insert(
        k: &'static str,
        v: i64,
    ) -> impl for<'c> FnOnce(&'c mut SqliteConnection) -> ConnFuture<'c, u64> + Send + 'static {
        move |c| {
            Box::pin(async move {
                let r = sqlx::query(in_savepoint(&[
                    "INSERT INTO t (k, v) VALUES (?, ?)",
                    "UPDATE t SET v = v + 1 WHERE k = ?",
                ]))
                .bind(k)
                .bind(v)
                .bind(k)
                .execute(c)
                .await
                .map_err(map_err)?;
                Ok(r.rows_affected())
            })
        }
    }

    async fn rows(pool: &SqlitePool) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT k, v FROM t ORDER BY k")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn concurrent_jobs_commit_and_a_failed_job_is_undone_alone() {
        let pool = pool().await;
        let w = std::sync::Arc::new(GroupCommit::spawn(pool.clone()));
        let mut tasks = Vec::new();
        for (i, k) in ["a", "b", "a", "c"].into_iter().enumerate() {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                w.write(insert(k, i as i64 * 10)).await
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        // The second "a" fails on the primary key; the others are committed,
        // each with both of its statements (v + 1), the failed one with neither.
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
        assert!(matches!(
            results.iter().find(|r| r.is_err()),
            Some(Err(StoreError::Conflict(_)))
        ));
        let got = rows(&pool).await;
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], ("b".into(), 11));
        assert_eq!(got[2], ("c".into(), 31));
        assert!(got[0] == ("a".into(), 1) || got[0] == ("a".into(), 21));
    }

    #[tokio::test]
    async fn a_job_that_ends_the_whole_transaction_fails_the_batch_and_nothing_of_it_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let pool = pool_at(&url).await;
        let w = std::sync::Arc::new(GroupCommit::spawn(pool.clone()));
        // Hold the writer with a slow job so that the next three queue up and
        // run as one batch: a good one, one that ends the transaction the way
        // SQLite does on IOERR or FULL, and another good one.
        let slow = {
            let w = w.clone();
            tokio::spawn(async move {
                w.write(|c| {
                    Box::pin(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        sqlx::query("INSERT INTO t (k, v) VALUES ('slow', 0)")
                            .execute(&mut *c)
                            .await
                            .map_err(map_err)?;
                        Ok(())
                    })
                })
                .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let before = {
            let w = w.clone();
            tokio::spawn(async move { w.write(insert("before", 1)).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let breaker = {
            let w = w.clone();
            tokio::spawn(async move {
                w.write(|c| {
                    Box::pin(async move {
                        sqlx::query("ROLLBACK")
                            .execute(&mut *c)
                            .await
                            .map_err(map_err)?;
                        Err::<(), _>(StoreError::Other("disk I/O error".into()))
                    })
                })
                .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let after = {
            let w = w.clone();
            tokio::spawn(async move { w.write(insert("after", 2)).await })
        };
        slow.await.unwrap().unwrap();
        let before = before.await.unwrap();
        let breaker = breaker.await.unwrap();
        let after = after.await.unwrap();
        assert!(
            matches!(before, Err(StoreError::Unavailable(_))),
            "a job before the failure is undone with the batch: {before:?}"
        );
        assert!(matches!(breaker, Err(StoreError::Other(_))), "{breaker:?}");
        assert!(
            matches!(after, Err(StoreError::Unavailable(_))),
            "a job after it never runs outside a transaction: {after:?}"
        );
        assert_eq!(rows(&pool).await, vec![("slow".to_string(), 0)]);
        // The writer goes on, on a fresh connection, with real transactions.
        w.write(insert("next", 5)).await.unwrap();
        assert_eq!(
            rows(&pool).await,
            vec![("next".to_string(), 6), ("slow".to_string(), 0)]
        );
    }

    #[tokio::test]
    async fn a_job_failing_in_its_second_round_trip_is_undone_whole() {
        let pool = pool().await;
        sqlx::query("INSERT INTO t (k, v) VALUES ('taken', 0)")
            .execute(&pool)
            .await
            .unwrap();
        let w = GroupCommit::spawn(pool.clone());
        let r: StoreResult<()> = w
            .write(|c| {
                Box::pin(async move {
                    sqlx::query("SAVEPOINT job; INSERT INTO t (k, v) VALUES ('first', 1)")
                        .execute(&mut *c)
                        .await
                        .map_err(map_err)?;
                    sqlx::query("INSERT INTO t (k, v) VALUES ('taken', 2); RELEASE job")
                        .execute(&mut *c)
                        .await
                        .map_err(map_err)?;
                    Ok(())
                })
            })
            .await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
        assert_eq!(rows(&pool).await, vec![("taken".to_string(), 0)]);
        // The writer goes on with the next job.
        w.write(insert("next", 5)).await.unwrap();
        assert_eq!(
            rows(&pool).await,
            vec![("next".to_string(), 6), ("taken".to_string(), 0)]
        );
    }

    #[tokio::test]
    async fn a_lone_job_is_committed_for_other_connections_and_leaves_no_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("lone.db").display());
        let pool = pool_at(&format!("{url}?mode=rwc")).await;
        let w = GroupCommit::spawn(pool.clone());
        // One job at a time: each runs without BEGIN/COMMIT.
        w.write(insert("a", 1)).await.unwrap();
        let one: u64 = w
            .write(|c| {
                Box::pin(async move {
                    let r = sqlx::query("UPDATE t SET v = 10 WHERE k = 'a'")
                        .execute(c)
                        .await
                        .map_err(map_err)?;
                    Ok(r.rows_affected())
                })
            })
            .await
            .unwrap();
        assert_eq!(one, 1);
        let other = pool_at_existing(&url).await;
        assert_eq!(rows(&other).await, vec![("a".to_string(), 10)]);
        // The writer's connection is in autocommit: BEGIN succeeds on it.
        let mut c = pool.acquire().await.unwrap();
        sqlx::query("BEGIN").execute(&mut *c).await.unwrap();
        sqlx::query("ROLLBACK").execute(&mut *c).await.unwrap();
    }

    async fn pool_at_existing(url: &str) -> SqlitePool {
        use std::str::FromStr;
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url).unwrap();
        SqlitePool::open(&opts, 1, std::time::Duration::from_secs(5))
            .await
            .unwrap()
    }
}
