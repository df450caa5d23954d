//! PostgreSQL: durable state shared by several phoneguard nodes.
//!
//! The pool reconnects by itself: while the server is down every call fails fast
//! with [`StoreError::Unavailable`] (answered 503 `storage_unavailable`), and the
//! first call after it is back succeeds, without a restart of the node.

use std::str::FromStr;
use std::time::Duration;

use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use sqlx::postgres::PgConnectOptions;

use crate::conns::{ConnsSettings, PgConns};
use crate::redact_url;

/// Pool limits and timeouts of a [`PostgresStore`].
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections this node opens.
    pub max_connections: u32,
    /// How long a call waits for a connection (including reconnecting) before it
    /// fails with [`StoreError::Unavailable`].
    pub acquire_timeout: Duration,
    /// Server-side limit of one statement (`statement_timeout`).
    pub statement_timeout: Duration,
    /// Idle connections are closed after this long.
    pub idle_timeout: Duration,
    /// Connections are replaced after this long (balances load after a failover).
    pub max_lifetime: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            max_lifetime: Duration::from_secs(1800),
        }
    }
}

/// [`phoneguard_core::Store`] on PostgreSQL.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgConns,
    risk_batcher: std::sync::Arc<crate::risk::postgres::RiskBatcher>,
}

impl PostgresStore {
    /// Connects to `url` with the default [`PoolSettings`] and runs the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::connect(url, PoolSettings::default()).await
    }

    /// Connects to `url` with `settings` and runs the migrations (several nodes
    /// starting at once take turns: the migrator holds an advisory lock).
    pub async fn connect(url: &str, settings: PoolSettings) -> StoreResult<Self> {
        let statement_ms = settings.statement_timeout.as_millis().to_string();
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("database_url: {e}")))?
            .application_name("phoneguard")
            .options([("statement_timeout", statement_ms.as_str())]);
        // No ping before or after each statement (crate::conns): a
        // connection idle for a second is pinged before use, one that failed
        // is closed, the rest go straight back.
        let pool = PgConns::lazy(
            opts,
            ConnsSettings {
                max: settings.max_connections.max(1) as usize,
                acquire_timeout: settings.acquire_timeout,
                check_idle_after: Some(Duration::from_secs(1)),
                idle_timeout: Some(settings.idle_timeout),
                max_lifetime: Some(settings.max_lifetime),
            },
        );
        let unreachable = |e: sqlx::Error| {
            StoreError::Unavailable(format!("cannot connect to {}: {e}", redact_url(url)))
        };
        let mut conn = pool.acquire().await.map_err(unreachable)?;
        sqlx::migrate!("migrations/postgres")
            .run_direct(None, &mut *conn, false)
            .await
            .map_err(|e| StoreError::Other(format!("migrations failed: {e}")))?;
        drop(conn);
        Ok(PostgresStore {
            risk_batcher: crate::risk::postgres::RiskBatcher::spawn(pool.clone()).into(),
            pool,
        })
    }

    /// The group-commit writer of risk results.
    pub(crate) fn risk_batcher(&self) -> &crate::risk::postgres::RiskBatcher {
        &self.risk_batcher
    }

    /// The connection pool, for modules that add their own tables.
    pub fn pool(&self) -> &PgConns {
        &self.pool
    }

    /// The pool again: PostgreSQL has no reader pool of its own, so the reads
    /// that go to SQLite's readers come here.
    pub(crate) fn readers(&self) -> &PgConns {
        &self.pool
    }

    /// Always `None`: PostgreSQL's reads go through the pool (the SQLite
    /// store runs some reads on the request's thread; see
    /// `SqliteStore::sync_read`).
    pub(crate) fn sync_read<T>(
        &self,
        _f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<StoreResult<T>> {
        None
    }

    /// Always `None`, as [`Self::sync_read`].
    pub(crate) fn sync_writer_opt(&self) -> Option<&crate::sqlite_sync::SyncWriter> {
        None
    }
}

/// `url` with its database replaced by `db` (query string kept): how tools and
/// tests address a database of their own on a shared server.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Maps a sqlx error on PostgreSQL to the storage error callers act on: the
/// mapping of SQLite plus PostgreSQL's own "try again later" SQLSTATEs.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && let Some(code) = db.code()
        && is_unavailable(&code)
    {
        return StoreError::Unavailable(format!("{} ({code})", db.message()));
    }
    match e {
        sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable(e.to_string())
        }
        e => crate::sql::map_err(e),
    }
}

/// SQLSTATEs meaning the server is unreachable, overloaded, shutting down or too
/// slow: connection exceptions (08), insufficient resources (53), operator
/// intervention (57: shutdown, cancelled by `statement_timeout`), and
/// serialization failures or deadlocks (40) that a retry resolves.
fn is_unavailable(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57")
        || code.starts_with("40")
}

#[cfg(test)]
mod tests {
    use super::{is_unavailable, with_database};

    #[test]
    fn the_database_of_a_url_is_replaced_and_its_options_kept() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://h/postgres?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }

    #[test]
    fn outages_and_timeouts_are_unavailable_but_constraints_are_not() {
        for code in [
            "08006", "08001", "57P01", "57P03", "57014", "53300", "40001",
        ] {
            assert!(is_unavailable(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22P02"] {
            assert!(!is_unavailable(code), "{code}");
        }
    }
}
