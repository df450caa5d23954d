//! Storage adapters: [`phoneguard_core::Store`] on SQLite and on PostgreSQL,
//! each with its own forward-only migrations.
//!
//! Each query is written once: a module per area (`tenants`, `ops`, `risk`,
//! `suppliers`, `verify`, `dashboard`) holds its SQL and row mapping and
//! implements its port for both store types; only what really differs
//! between the databases lives in the area's `sqlite.rs` and `postgres.rs`
//! (see [`sql`] for how).
#![forbid(unsafe_code)]

pub mod conns;
#[macro_use]
mod sql;

mod dashboard;
mod devices;
mod ops;
pub mod postgres;
mod risk;
pub mod sqlite;
mod sqlite_commit;
mod sqlite_sync;
mod suppliers;
mod tenants;
mod twilio;
mod verify;

use std::sync::Arc;

use phoneguard_core::{Store, StoreError};

/// Opens the store named by a database URL (`sqlite://path`, `sqlite::memory:`,
/// `postgres://…`) and runs its migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if is_sqlite(url) {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PostgresStore::open(url).await?))
    } else {
        Err(StoreError::Other(format!(
            "database_url: unsupported scheme in {:?}; expected sqlite://FILE or postgres://…",
            redact_url(url)
        )))
    }
}

/// The file of a SQLite database URL; `None` for PostgreSQL, an in-memory
/// database or a URL that does not parse.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    if !is_sqlite(url) {
        return None;
    }
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let path = opts.get_filename();
    let name = path.to_string_lossy();
    if name.is_empty() || name.starts_with(':') || name.contains("mode=memory") {
        return None;
    }
    Some(path.to_path_buf())
}

/// Whether a database URL names SQLite (one node) rather than PostgreSQL.
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// A database URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &userinfo[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://pg:secret@db:5432/x"),
            "postgres://pg:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://pg@db/x"), "postgres://pg@db/x");
        assert_eq!(
            redact_url("sqlite://phoneguard.db"),
            "sqlite://phoneguard.db"
        );
    }
}
