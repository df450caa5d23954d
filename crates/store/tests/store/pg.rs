//! A fresh PostgreSQL database per test, dropped when the test ends.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};

pub use phoneguard_store::postgres::with_database;

/// The server named by `PHONEGUARD_TEST_POSTGRES_URL`. The tests that call it
/// are `#[ignore]`d; one asked to run without the variable fails and says how
/// to start a server.
pub fn server() -> String {
    std::env::var("PHONEGUARD_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "PHONEGUARD_TEST_POSTGRES_URL is unset: start PostgreSQL with \
                 eval \"$(scripts/ci-services.sh)\""
            )
        })
}

/// `DROP DATABASE` of a name this module made (letters, digits, `_` only).
fn drop_sql(name: &str) -> AssertSqlSafe<String> {
    AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
}

/// A database created for one test; dropped (connections and all) on drop.
pub struct TestDb {
    admin_url: String,
    name: String,
    /// URL of the test's database.
    pub url: String,
}

impl TestDb {
    /// Creates `pgtest_{label}_{pid}_{n}` on the server at `admin_url`.
    pub async fn create(admin_url: &str, label: &str) -> TestDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "pgtest_{label}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(admin_url)
            .await
            .expect("PHONEGUARD_TEST_POSTGRES_URL is set but the server does not answer");
        sqlx::query(drop_sql(&name))
            .execute(&mut admin)
            .await
            .unwrap();
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .unwrap();
        let _ = admin.close().await;
        TestDb {
            admin_url: admin_url.to_string(),
            url: with_database(admin_url, &name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime: do the cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(drop_sql(&name)).execute(&mut admin).await;
                }
            });
        })
        .join();
    }
}
