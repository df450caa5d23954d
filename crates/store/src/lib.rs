//! Storage adapters: one module per database, each implementing
//! [`phoneguard_core::Store`] with its own forward-only migrations.
#![forbid(unsafe_code)]

mod dashboard;
mod ops_rows;
pub mod postgres;
mod postgres_ops;
mod postgres_risk;
mod postgres_suppliers;
mod postgres_verify;
mod rows;
pub mod sqlite;
mod sqlite_commit;
mod sqlite_ops;
mod sqlite_risk;
mod sqlite_suppliers;
mod sqlite_verify;
mod verify_rows;

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
