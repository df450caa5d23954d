//! A pool of database connections that costs nothing to give a connection back.
//!
//! sqlx's `Pool` returns a connection through a spawned task that first
//! *pings* it, and on PostgreSQL it pinged again before handing it out
//! (`test_before_acquire`): for SQLite a round trip to the connection's
//! worker thread, for PostgreSQL one to the server, before and after *every*
//! statement run on the pool, each costing more than most of the statements
//! (docs/benchmarks.md, issue 23). The release ping is there to flush what a
//! cancelled call left behind, and [`Conns`] does exactly that, only when
//! there is something to flush: a transaction dropped before its end queues
//! its `ROLLBACK` in the connection's write buffer (`should_flush`), which is
//! sent (so the transaction's locks are let go now, not at the next use)
//! before the connection is put back. Anything else (a statement cancelled
//! half-read) the connection drains itself before its next statement.
//!
//! Connections are opened on demand up to `max` (SQLite opens its few at
//! start: [`Conns::open`]); one that failed with an I/O or protocol error is
//! closed instead of put back, one idle longer than `check_idle_after` is
//! pinged before use (a server that restarted meanwhile closed it), and a
//! reaper closes those idle beyond `idle_timeout` or older than
//! `max_lifetime`.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use sqlx::{ConnectOptions, Connection, Database, Either, Execute, Executor, Postgres, Sqlite};
use sqlx_core::ext::async_stream::TryAsyncStream;
use sqlx_core::transaction::TransactionManager;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How a [`Conns`] opens, checks and retires connections.
#[derive(Debug, Clone)]
pub struct ConnsSettings {
    /// Most connections open at once.
    pub max: usize,
    /// How long [`Conns::acquire`] waits (connecting included).
    pub acquire_timeout: Duration,
    /// A connection idle longer than this is pinged before use; `None`: never.
    pub check_idle_after: Option<Duration>,
    /// Idle connections are closed after this long; `None`: kept.
    pub idle_timeout: Option<Duration>,
    /// Connections are replaced after this long; `None`: kept.
    pub max_lifetime: Option<Duration>,
}

/// A set of connections to one database (cheap to clone: one `Arc`).
pub struct Conns<DB: Database> {
    inner: Arc<Inner<DB>>,
}

/// SQLite's: a fixed set opened at start, never pinged (a local file cannot
/// go stale).
pub type SqliteConns = Conns<Sqlite>;
/// A connection taken from [`SqliteConns`].
pub type SqliteConn = Conn<Sqlite>;
/// PostgreSQL's: opened on demand, checked after a pause, retired with age.
pub type PgConns = Conns<Postgres>;

impl<DB: Database> Clone for Conns<DB> {
    fn clone(&self) -> Self {
        Conns {
            inner: self.inner.clone(),
        }
    }
}

impl<DB: Database> std::fmt::Debug for Conns<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conns")
            .field("idle", &lock(&self.inner.idle).len())
            .field("max", &self.inner.settings.max)
            .finish()
    }
}

struct Idle<C> {
    conn: C,
    opened: Instant,
    used: Instant,
}

struct Inner<DB: Database> {
    opts: <DB::Connection as Connection>::Options,
    idle: Mutex<Vec<Idle<DB::Connection>>>,
    permits: Arc<Semaphore>,
    settings: ConnsSettings,
}

impl<DB: Database> Inner<DB> {
    fn put(&self, conn: DB::Connection, opened: Instant) {
        lock(&self.idle).push(Idle {
            conn,
            opened,
            used: Instant::now(),
        });
    }

    /// Whether `c` is past its idle time or its lifetime.
    fn expired(&self, c: &Idle<DB::Connection>) -> bool {
        let s = &self.settings;
        s.idle_timeout.is_some_and(|t| c.used.elapsed() > t)
            || s.max_lifetime.is_some_and(|t| c.opened.elapsed() > t)
    }
}

/// A connection taken from [`Conns`]; goes back on drop.
pub struct Conn<DB: Database> {
    conn: Option<DB::Connection>,
    opened: Instant,
    inner: Arc<Inner<DB>>,
    permit: Option<OwnedSemaphorePermit>,
    discard: bool,
}

impl<DB: Database> Conns<DB> {
    /// A set of `size` connections with `opts`, all opened now, never checked
    /// nor retired (SQLite's).
    pub async fn open(
        opts: &<DB::Connection as Connection>::Options,
        size: usize,
        acquire_timeout: Duration,
    ) -> Result<Self, sqlx::Error> {
        let conns = Self::lazy(
            opts.clone(),
            ConnsSettings {
                max: size.max(1),
                acquire_timeout,
                check_idle_after: None,
                idle_timeout: None,
                max_lifetime: None,
            },
        );
        for _ in 0..size.max(1) {
            let c = opts.connect().await?;
            conns.inner.put(c, Instant::now());
        }
        Ok(conns)
    }

    /// A set that opens connections when they are first needed. With an idle
    /// timeout or a lifetime, a reaper task (which ends with the set) closes
    /// the connections past them.
    pub fn lazy(opts: <DB::Connection as Connection>::Options, settings: ConnsSettings) -> Self {
        let inner = Arc::new(Inner {
            opts,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(settings.max.max(1))),
            settings,
        });
        let every = [inner.settings.idle_timeout, inner.settings.max_lifetime]
            .into_iter()
            .flatten()
            .min();
        if let Some(every) = every {
            spawn_reaper(
                Arc::downgrade(&inner),
                (every / 2).max(Duration::from_secs(1)),
            );
        }
        Conns { inner }
    }

    /// Waits (at most the acquire timeout, connecting included) for a
    /// connection.
    pub async fn acquire(&self) -> Result<Conn<DB>, sqlx::Error> {
        tokio::time::timeout(self.inner.settings.acquire_timeout, self.acquire_now())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    async fn acquire_now(&self) -> Result<Conn<DB>, sqlx::Error> {
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let Some(mut c) = lock(&self.inner.idle).pop() else {
                break;
            };
            if self.inner.expired(&c) {
                close_in_background(c.conn, None);
                continue;
            }
            let stale = self
                .inner
                .settings
                .check_idle_after
                .is_some_and(|t| c.used.elapsed() > t);
            if stale && let Err(e) = c.conn.ping().await {
                tracing::debug!(error = %e, "an idle connection is gone; opening another");
                close_in_background(c.conn, None);
                continue;
            }
            return Ok(self.wrap(c.conn, c.opened, permit));
        }
        let conn = self.inner.opts.connect().await?;
        Ok(self.wrap(conn, Instant::now(), permit))
    }

    /// An open idle connection now, or `None` when there is none free.
    pub fn try_acquire(&self) -> Option<Conn<DB>> {
        let permit = self.inner.permits.clone().try_acquire_owned().ok()?;
        let c = lock(&self.inner.idle).pop()?;
        Some(self.wrap(c.conn, c.opened, permit))
    }

    fn wrap(
        &self,
        conn: DB::Connection,
        opened: Instant,
        permit: OwnedSemaphorePermit,
    ) -> Conn<DB> {
        Conn {
            conn: Some(conn),
            opened,
            inner: self.inner.clone(),
            permit: Some(permit),
            discard: false,
        }
    }

    /// A transaction on a connection of its own (it owns the connection, so
    /// it can outlive the borrow of the set).
    pub async fn begin(&self) -> Result<Tx<DB>, sqlx::Error> {
        self.begin_with(None).await
    }

    /// [`Conns::begin`] with `statement` instead of `BEGIN`: on PostgreSQL a
    /// simple query, so `BEGIN; SELECT …` (literals only) opens the
    /// transaction and runs its first statement in one round trip.
    pub async fn begin_with(&self, statement: Option<sqlx::SqlStr>) -> Result<Tx<DB>, sqlx::Error> {
        let mut conn = self.acquire().await?;
        let r = DB::TransactionManager::begin(&mut conn, statement).await;
        checked(&mut conn, r)?;
        Ok(Tx { conn })
    }

    /// Closes the idle connections; connections in use close when dropped.
    pub async fn close(&self) {
        self.inner.permits.close();
        let idle = std::mem::take(&mut *lock(&self.inner.idle));
        for c in idle {
            let _ = c.conn.close().await;
        }
    }
}

fn spawn_reaper<DB: Database>(inner: Weak<Inner<DB>>, every: Duration) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    rt.spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(inner) = inner.upgrade() else { return };
            if inner.permits.is_closed() {
                return;
            }
            let old: Vec<_> = {
                let mut idle = lock(&inner.idle);
                let (old, keep) = std::mem::take(&mut *idle)
                    .into_iter()
                    .partition(|c| inner.expired(c));
                *idle = keep;
                old
            };
            for c in old {
                let _ = c.conn.close().await;
            }
        }
    });
}

/// Closes `conn` on a task of its own (a connection may be dropped outside a
/// runtime, at shutdown: then it is just dropped), then lets `permit` go.
fn close_in_background<C: Connection + 'static>(conn: C, permit: Option<OwnedSemaphorePermit>) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            let _ = conn.close_hard().await;
            drop(permit);
        });
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<DB: Database> Conn<DB> {
    /// Closes this connection when it is dropped (its state is unknown); the
    /// next [`Conns::acquire`] opens another.
    pub fn close_on_drop(&mut self) {
        self.discard = true;
    }
}

/// Errors after which a connection is not trusted again: I/O and protocol
/// failures, and PostgreSQL's "this session is ending" (SQLSTATE 57P0x: the
/// backend was terminated or the server is shutting down) and connection
/// exceptions (08xxx).
fn breaks_connection(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("57P0") || c.starts_with("08")),
        _ => false,
    }
}

impl<DB: Database> Drop for Conn<DB> {
    fn drop(&mut self) {
        let Some(mut c) = self.conn.take() else {
            return;
        };
        if self.inner.permits.is_closed() {
            return;
        }
        if self.discard {
            // Its slot stays taken until it is closed.
            close_in_background(c, self.permit.take());
            return;
        }
        if !c.should_flush() {
            // Back in the list before the permit is released.
            self.inner.put(c, self.opened);
            return;
        }
        // A dropped transaction's ROLLBACK waits in the buffer: send it now.
        let (inner, permit, opened) = (self.inner.clone(), self.permit.take(), self.opened);
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            match c.flush().await {
                Ok(()) => inner.put(c, opened),
                Err(_) => {
                    let _ = c.close_hard().await;
                }
            }
            drop(permit);
        });
    }
}

impl<DB: Database> Deref for Conn<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        self.conn
            .as_ref()
            .expect("a taken connection is held until drop")
    }
}

impl<DB: Database> DerefMut for Conn<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        self.conn
            .as_mut()
            .expect("a taken connection is held until drop")
    }
}

/// `r`, marking `conn` for closing when `r` is an error that breaks it.
pub(crate) fn checked<DB: Database, T>(
    conn: &mut Conn<DB>,
    r: Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    if let Err(e) = &r
        && breaks_connection(e)
    {
        conn.close_on_drop();
    }
    r
}

/// Statements run on the set as on a sqlx pool: on a connection taken for
/// the call and given back when it ends.
impl<'p, DB: Database> Executor<'p> for &'_ Conns<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<DB::QueryResult, DB::Row>, sqlx::Error>>
    where
        E: 'q + Execute<'q, DB>,
    {
        let conns = self.clone();
        // The stream owns the connection it borrows: sqlx's safe generator
        // (the future holds both and hands rows out through its yielder), so
        // rows are streamed, not gathered (the start-up replay of sends reads
        // up to an hour of them).
        Box::pin(TryAsyncStream::new(move |rows| async move {
            let mut conn = conns.acquire().await?;
            let r = async {
                let mut s = conn.fetch_many(query);
                while let Some(v) = s.try_next().await? {
                    rows.r#yield(v).await;
                }
                Ok(())
            }
            .await;
            checked(&mut conn, r)
        }))
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>>
    where
        E: 'q + Execute<'q, DB>,
    {
        let conns = self.clone();
        Box::pin(async move {
            let mut conn = conns.acquire().await?;
            let r = conn.fetch_optional(query).await;
            checked(&mut conn, r)
        })
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, sqlx::Error>>
    where
        'p: 'e,
    {
        let conns = self.clone();
        Box::pin(async move {
            let mut conn = conns.acquire().await?;
            let r = conn.prepare_with(sql, parameters).await;
            checked(&mut conn, r)
        })
    }

    fn describe<'e>(
        self,
        sql: sqlx::SqlStr,
    ) -> BoxFuture<'e, Result<sqlx::Describe<DB>, sqlx::Error>> {
        let conns = self.clone();
        Box::pin(async move {
            let mut conn = conns.acquire().await?;
            let r = conn.describe(sql).await;
            checked(&mut conn, r)
        })
    }
}

#[path = "conns_tx.rs"]
mod tx;
pub use tx::Tx;

#[cfg(test)]
#[path = "conns_tests.rs"]
mod tests;
