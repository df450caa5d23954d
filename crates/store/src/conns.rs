//! A pool of SQLite connections that costs nothing to give a connection back.
//!
//! sqlx's `Pool` returns a connection through a spawned task that first
//! *pings* it: for SQLite a round trip to the connection's worker thread
//! after every statement run on the pool, two context switches that cost more
//! than most of the statements (docs/benchmarks.md, issue 23). The ping
//! is there to flush what a cancelled call left behind; a SQLite connection
//! needs no flush, because its worker runs commands in order (a dropped
//! transaction queues its `ROLLBACK` before anything the next user sends).
//! So [`SqliteConns`] keeps open connections in a list and puts one back on
//! drop, nothing more. All connections are opened at start (the file is local;
//! there is nothing to reconnect to) and a connection whose worker has stopped
//! is dropped instead of put back.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use sqlx::sqlite::{SqliteConnectOptions, SqliteQueryResult, SqliteRow, SqliteStatement};
use sqlx::{ConnectOptions, Connection, Either, Execute, Executor, Sqlite, SqliteConnection};
use sqlx_core::ext::async_stream::TryAsyncStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A fixed set of open SQLite connections (cheap to clone: one `Arc`).
#[derive(Clone)]
pub struct SqliteConns {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteConns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteConns")
            .field("idle", &lock(&self.inner.idle).len())
            .finish()
    }
}

struct Inner {
    opts: SqliteConnectOptions,
    idle: Mutex<Vec<SqliteConnection>>,
    permits: Arc<Semaphore>,
    acquire_timeout: Duration,
}

/// A connection taken from [`SqliteConns`]; goes back on drop.
pub struct SqliteConn {
    conn: Option<SqliteConnection>,
    inner: Arc<Inner>,
    permit: Option<OwnedSemaphorePermit>,
    discard: bool,
}

impl SqliteConns {
    /// Opens `size` connections with `opts`.
    pub async fn open(
        opts: &SqliteConnectOptions,
        size: usize,
        acquire_timeout: Duration,
    ) -> Result<Self, sqlx::Error> {
        let mut idle = Vec::with_capacity(size);
        for _ in 0..size.max(1) {
            idle.push(opts.connect().await?);
        }
        Ok(SqliteConns {
            inner: Arc::new(Inner {
                opts: opts.clone(),
                permits: Arc::new(Semaphore::new(idle.len())),
                idle: Mutex::new(idle),
                acquire_timeout,
            }),
        })
    }

    /// Waits (at most the acquire timeout) for a free connection.
    pub async fn acquire(&self) -> Result<SqliteConn, sqlx::Error> {
        let permit = tokio::time::timeout(
            self.inner.acquire_timeout,
            self.inner.permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?
        .map_err(|_| sqlx::Error::PoolClosed)?;
        self.take(permit).ok_or(sqlx::Error::PoolClosed)
    }

    /// A free connection now, or `None` when all are in use.
    pub fn try_acquire(&self) -> Option<SqliteConn> {
        let permit = self.inner.permits.clone().try_acquire_owned().ok()?;
        self.take(permit)
    }

    fn take(&self, permit: OwnedSemaphorePermit) -> Option<SqliteConn> {
        let conn = lock(&self.inner.idle).pop()?;
        Some(SqliteConn {
            conn: Some(conn),
            inner: self.inner.clone(),
            permit: Some(permit),
            discard: false,
        })
    }

    /// Closes the idle connections; connections in use close when dropped.
    pub async fn close(&self) {
        self.inner.permits.close();
        let idle = std::mem::take(&mut *lock(&self.inner.idle));
        for c in idle {
            let _ = c.close().await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SqliteConn {
    /// Closes this connection when it is dropped (its transaction state is
    /// unknown); a new one takes its place.
    pub fn close_on_drop(&mut self) {
        self.discard = true;
    }
}

impl Drop for SqliteConn {
    fn drop(&mut self) {
        let Some(c) = self.conn.take() else { return };
        if self.inner.permits.is_closed() {
            return;
        }
        if !self.discard {
            // Back in the list before the permit is released.
            lock(&self.inner.idle).push(c);
            return;
        }
        // Its slot stays taken until the replacement is open.
        let (inner, permit) = (self.inner.clone(), self.permit.take());
        tokio::spawn(async move {
            let _ = c.close_hard().await;
            let mut wait = Duration::from_millis(50);
            while !inner.permits.is_closed() {
                match inner.opts.connect().await {
                    Ok(fresh) => {
                        lock(&inner.idle).push(fresh);
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot reopen a SQLite connection; retrying");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                }
            }
            drop(permit);
        });
    }
}

impl Deref for SqliteConn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn
            .as_ref()
            .expect("a taken connection is held until drop")
    }
}

impl DerefMut for SqliteConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn
            .as_mut()
            .expect("a taken connection is held until drop")
    }
}

/// Statements run on the set as on a sqlx pool: on a connection taken for
/// the call and given back when it ends.
impl<'p> Executor<'p> for &'_ SqliteConns {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Sqlite>,
    {
        let conns = self.clone();
        // The stream owns the connection it borrows: sqlx's safe generator
        // (the future holds both and hands rows out through its yielder), so
        // rows are streamed, not gathered (the start-up replay of sends reads
        // up to an hour of them).
        Box::pin(TryAsyncStream::new(move |rows| async move {
            let mut conn = conns.acquire().await?;
            let mut s = conn.fetch_many(query);
            while let Some(v) = s.try_next().await? {
                rows.r#yield(v).await;
            }
            Ok(())
        }))
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, Sqlite>,
    {
        let conns = self.clone();
        Box::pin(async move { conns.acquire().await?.fetch_optional(query).await })
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [sqlx::sqlite::SqliteTypeInfo],
    ) -> BoxFuture<'e, Result<SqliteStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        let conns = self.clone();
        Box::pin(async move { conns.acquire().await?.prepare_with(sql, parameters).await })
    }

    fn describe<'e>(
        self,
        sql: sqlx::SqlStr,
    ) -> BoxFuture<'e, Result<sqlx::Describe<Sqlite>, sqlx::Error>> {
        let conns = self.clone();
        Box::pin(async move { conns.acquire().await?.describe(sql).await })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use futures::StreamExt;

    use super::*;

    async fn conns(size: usize) -> SqliteConns {
        let opts = SqliteConnectOptions::from_str("sqlite::memory:").unwrap();
        SqliteConns::open(&opts, size, Duration::from_millis(200))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_stream_holds_its_connection_until_dropped_and_rows_come_one_by_one() {
        let c = conns(1).await;
        let first: Vec<i64> = sqlx::query_scalar::<_, i64>(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000) \
             SELECT x FROM n",
        )
        .fetch(&c)
        .take(3)
        .map(|r| r.unwrap())
        .collect()
        .await;
        assert_eq!(first, vec![1, 2, 3]);
        // The stream is gone: its connection is back, the next call gets it.
        let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&c).await.unwrap();
        assert_eq!(one, 1);

        let mut rows = sqlx::query_scalar::<_, i64>("SELECT 7 UNION ALL SELECT 8").fetch(&c);
        assert_eq!(rows.next().await.unwrap().unwrap(), 7);
        assert!(c.try_acquire().is_none(), "held by the open stream");
        drop(rows);
        assert!(
            c.try_acquire().is_some(),
            "given back when the stream is dropped"
        );
    }

    #[tokio::test]
    async fn a_taken_set_times_out_and_a_discarded_connection_is_replaced() {
        let c = conns(1).await;
        let mut held = c.acquire().await.unwrap();
        assert!(matches!(c.acquire().await, Err(sqlx::Error::PoolTimedOut)));
        held.close_on_drop();
        drop(held);
        let again = c.acquire().await.unwrap();
        drop(again);
        let n: i64 = sqlx::query_scalar("SELECT 2").fetch_one(&c).await.unwrap();
        assert_eq!(n, 2);
        c.close().await;
        assert!(c.acquire().await.is_err(), "closed");
    }
}
