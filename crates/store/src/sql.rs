//! What every area of the store shares: times as Unix milliseconds, the
//! mapping of sqlx errors, and the SQL fragments that differ by backend.
//!
//! An area (`tenants`, `ops`, `risk`, `suppliers`, `verify`, `dashboard`)
//! writes each query once, with numbered `$N` parameters (SQLite accepts them
//! too), in a macro `impl_…!($store, $d)` that implements the area's port
//! for one store type; the area expands it for
//! [`crate::sqlite::SqliteStore`] and for [`crate::postgres::PostgresStore`].
//! In the expansion the backend `$d` is `sqlite` or `postgres`: `crate::$d`
//! gives the backend's `map_err`, `$d::…` the area's own `sqlite.rs` or
//! `postgres.rs`, which hold only what really differs (SQLite's single-writer
//! group commits, PostgreSQL's locks, transactions and batch statements), and
//! `bytewise!($d)` the one SQL fragment that differs. Both store types offer
//! `pool()` for writes (and reads that must see them) and `readers()` for
//! reads that never write. Adding a column: both migrations, then the area's
//! row type and its column list and binding, once.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, TimeZone, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;

/// Text in byte order, as SQLite compares it by default: after a text column
/// in `ORDER BY`, ` COLLATE "C"` on PostgreSQL (whose default collation
/// follows the locale) and nothing on SQLite.
macro_rules! bytewise {
    (sqlite) => {
        ""
    };
    (postgres) => {
        " COLLATE \"C\""
    };
}

/// A boxed future borrowing a connection: a write job of `$d::write`.
pub(crate) type ConnFuture<'c, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'c>>;

/// Unix milliseconds → UTC time.
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// UTC time → Unix milliseconds.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Maps a sqlx error to the storage error callers act on (SQLite's mapping;
/// PostgreSQL adds its own SQLSTATEs in [`crate::postgres::map_err`]).
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() || db.is_foreign_key_violation() => {
            StoreError::Conflict(db.message().to_string())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(db) if db.message().contains("database is locked") => {
            StoreError::Unavailable(db.message().to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}
