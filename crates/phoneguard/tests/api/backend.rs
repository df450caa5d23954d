//! Which storage the HTTP suite runs on. By default every test server gets a
//! SQLite file of its own. With `PHONEGUARD_TEST_BACKEND=postgres` (CI's second
//! run) it gets a PostgreSQL database of its own on the server at
//! `PHONEGUARD_TEST_POSTGRES_URL` and, when `PHONEGUARD_TEST_REDIS_URL` is set,
//! the shared Redis with a key prefix of its own.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::OnceLock;

use phoneguard_store::postgres::with_database;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};

/// The backend of this test run.
pub enum Backend {
    /// A SQLite file per test server (the default).
    Sqlite,
    /// A database per test server on one PostgreSQL server, and Redis if given.
    Postgres {
        /// Admin URL of the server (its `postgres` database).
        server: String,
        /// `redis://…`, when set.
        redis: Option<String>,
    },
}

/// The backend chosen by `PHONEGUARD_TEST_BACKEND` (`sqlite`, the default, or `postgres`).
pub fn backend() -> &'static Backend {
    static B: OnceLock<Backend> = OnceLock::new();
    B.get_or_init(|| {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match var("PHONEGUARD_TEST_BACKEND").as_deref() {
            None | Some("sqlite") => Backend::Sqlite,
            Some("postgres") => {
                let server = var("PHONEGUARD_TEST_POSTGRES_URL").expect(
                    "PHONEGUARD_TEST_BACKEND=postgres needs PHONEGUARD_TEST_POSTGRES_URL \
                     (eval \"$(scripts/ci-services.sh)\")",
                );
                drop_stale_databases(&server);
                Backend::Postgres {
                    server,
                    redis: var("PHONEGUARD_TEST_REDIS_URL"),
                }
            }
            Some(other) => panic!("PHONEGUARD_TEST_BACKEND={other:?}: expected sqlite or postgres"),
        }
    })
}

/// The value of a test-service variable (`PHONEGUARD_TEST_POSTGRES_URL`,
/// `PHONEGUARD_TEST_REDIS_URL`) for a test marked `#[ignore = "needs …"]`:
/// such a test runs only when asked (`-- --include-ignored`), and then a
/// missing service is a failure that says how to start one, never a silent pass.
pub fn test_env(name: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            panic!("{name} is unset: start the services with eval \"$(scripts/ci-services.sh)\"")
        })
}

/// Whether the suite runs on PostgreSQL.
pub fn is_postgres() -> bool {
    matches!(backend(), Backend::Postgres { .. })
}

/// Prefix of the databases this suite makes: `pgapi_{pid}_{hash of the path}`.
const PREFIX: &str = "pgapi_";

/// The database standing for the SQLite file `path` would be: one per path, so
/// a test that restarts a server on the same path finds its data again.
pub fn database_for(path: &Path) -> String {
    let mut h = DefaultHasher::new();
    path.hash(&mut h);
    format!("{PREFIX}{}_{:016x}", std::process::id(), h.finish())
}

/// Runs `f` on a runtime of its own on another thread (callers may be inside a
/// runtime, or in `Drop`).
fn on_own_runtime<T: Send + 'static>(
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f())
    })
    .join()
    .unwrap()
}

/// The databases made for SQLite paths by this process, dropped once the
/// test's temporary directory is gone (the test is over).
static MADE: std::sync::Mutex<Vec<(std::path::PathBuf, String)>> =
    std::sync::Mutex::new(Vec::new());

/// The database standing for `path`, created if missing; its URL. Drops the
/// databases of finished tests on the way.
pub fn database_at(server: &str, path: &Path) -> String {
    let name = database_for(path);
    let finished: Vec<String> = {
        let mut made = MADE.lock().unwrap();
        if !made.iter().any(|(p, _)| p == path) {
            made.push((path.to_path_buf(), name.clone()));
        }
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut *made)
            .into_iter()
            .partition(|(p, _)| p.parent().is_some_and(|d| !d.exists()));
        *made = kept;
        gone.into_iter().map(|(_, n)| n).collect()
    };
    for db in finished {
        drop_database(server, &db);
    }
    ensure_database(server, &name)
}

/// Creates database `name` on `server` unless it exists; returns its URL.
pub fn ensure_database(server: &str, name: &str) -> String {
    let (admin, db) = (server.to_string(), name.to_string());
    on_own_runtime(move || {
        Box::pin(async move {
            let mut c = PgConnection::connect(&admin)
                .await
                .expect("PHONEGUARD_TEST_POSTGRES_URL is set but the server does not answer");
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&db)
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
            if !exists {
                sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{db}\"")))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            let _ = c.close().await;
        })
    });
    with_database(server, name)
}

/// Drops database `name` (made by this module: letters, digits and `_`), cutting its connections.
pub fn drop_database(server: &str, name: &str) {
    let (admin, db) = (server.to_string(), name.to_string());
    on_own_runtime(move || {
        Box::pin(async move {
            if let Ok(mut c) = PgConnection::connect(&admin).await {
                let sql = format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)");
                let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut c).await;
                let _ = c.close().await;
            }
        })
    });
}

/// Drops the databases of earlier runs of this suite whose process is gone.
fn drop_stale_databases(server: &str) {
    let admin = server.to_string();
    let names: Vec<String> = on_own_runtime(move || {
        Box::pin(async move {
            let Ok(mut c) = PgConnection::connect(&admin).await else {
                return vec![];
            };
            sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'pgapi\\_%'")
                .fetch_all(&mut c)
                .await
                .unwrap_or_default()
        })
    });
    for name in names {
        let pid = name[PREFIX.len()..].split('_').next().unwrap_or("");
        if !Path::new(&format!("/proc/{pid}")).exists() {
            drop_database(server, &name);
        }
    }
}

/// Everything a test server stored, as bytes per source, to look for secrets in
/// clear: the SQLite files in `dir`, or every row of the PostgreSQL database
/// standing for `db` rendered as text.
pub fn stored_bytes(dir: &Path, db: &Path) -> Vec<(String, Vec<u8>)> {
    let Backend::Postgres { server, .. } = backend() else {
        return std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (
                    p.display().to_string(),
                    std::fs::read(&p).unwrap_or_default(),
                )
            })
            .collect();
    };
    let url = with_database(server, &database_for(db));
    on_own_runtime(move || {
        Box::pin(async move {
            let mut c = PgConnection::connect(&url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap();
            let mut out = vec![];
            for t in tables {
                let sql = format!("SELECT t::TEXT FROM \"{t}\" t");
                let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
                out.push((format!("table {t}"), rows.join("\n").into_bytes()));
            }
            out
        })
    })
}
