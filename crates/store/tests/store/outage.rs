//! A PostgreSQL outage: calls fail fast with `Unavailable` (503
//! `storage_unavailable`) and the same store works again once the server is
//! back, without being reopened.
//!
//! The outage is made by a TCP proxy between the store and the shared test
//! server: closing the proxy refuses new connections and cuts the open ones,
//! as a stopped server does, without stopping the server under the tests that
//! run beside this one.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::Utc;
use phoneguard_core::{Store, StoreError, Tenant, TenantStore};
use phoneguard_store::postgres::{PoolSettings, PostgresStore};
use sqlx::postgres::PgConnectOptions;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::pg;

/// Forwards connections on `listen` to `upstream` until dropped.
struct Proxy {
    tasks: JoinSet<()>,
}

impl Proxy {
    async fn start(listen: SocketAddr, upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind(listen).await.unwrap();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                conns.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy { tasks }
    }

    /// Refuses new connections and cuts the open ones.
    async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

fn is_unavailable<T>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Unavailable(_)))
}

#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_postgres_outage_is_unavailable_and_the_store_recovers_without_reopening() {
    let server = pg::server();
    let db = pg::TestDb::create(&server, "outage").await;
    let opts = PgConnectOptions::from_str(&db.url).unwrap();
    let upstream = tokio::net::lookup_host((opts.get_host(), opts.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = free.local_addr().unwrap();
    drop(free);

    let proxy = Proxy::start(listen, upstream).await;
    let url = pg::with_database(
        &format!("postgres://{}@{listen}/x", opts.get_username()),
        opts.get_database().unwrap(),
    );
    let settings = PoolSettings {
        acquire_timeout: Duration::from_secs(1),
        ..PoolSettings::default()
    };
    let store = PostgresStore::connect(&url, settings).await.unwrap();
    store.ping().await.unwrap();
    let tenant = Tenant {
        id: "ten_o".into(),
        name: "outage".into(),
        created_at: Utc::now(),
    };
    store.create_tenant(&tenant).await.unwrap();

    // Down: every call fails with Unavailable, quickly (the acquire timeout).
    proxy.stop().await;
    let started = Instant::now();
    let ping = store.ping().await;
    assert!(is_unavailable(&ping), "{ping:?}");
    let read = store.get_tenant("ten_o").await;
    assert!(is_unavailable(&read), "{read:?}");
    let write = store.put_meta_if_absent("k", "v").await;
    assert!(is_unavailable(&write), "{write:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "calls during an outage fail within their timeouts"
    );

    // Back: the same store reconnects on its own; nothing was lost.
    let proxy = Proxy::start(listen, upstream).await;
    store.ping().await.unwrap();
    assert_eq!(
        store.get_tenant("ten_o").await.unwrap().map(|t| t.name),
        Some("outage".to_string())
    );
    assert_eq!(store.put_meta_if_absent("k", "v").await.unwrap(), "v");
    proxy.stop().await;
}

#[tokio::test]
async fn an_unreachable_postgres_at_start_is_unavailable_with_the_password_hidden() {
    let free = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let settings = PoolSettings {
        acquire_timeout: Duration::from_millis(500),
        ..PoolSettings::default()
    };
    let err = PostgresStore::connect(&format!("postgres://pg:secret@{addr}/db"), settings)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("secret"), "{err}");
}
