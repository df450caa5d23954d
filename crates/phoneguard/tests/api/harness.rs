//! Starts the real server in-process on port 0 with its own SQLite file, or
//! its own PostgreSQL database (and Redis key prefix) when the suite runs on
//! PostgreSQL (see [`crate::backend`]).

use std::net::SocketAddr;

use figment::providers::Env;
use phoneguard::config::Config;
use phoneguard::config::{Overrides, load_from};
use reqwest::{Client, RequestBuilder, Response};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::backend::{Backend, backend, database_at, database_for, drop_database};

/// Admin token of every test server.
pub const ADMIN: &str = "adm_test_token_0123456789abcdef";

/// A running server and what a test needs to call it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub key: String,
    pub client: Client,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// The PostgreSQL database of this server, dropped with it unless it was stopped.
    pg_database: Option<String>,
}

/// The hash secret of test servers on PostgreSQL (every node of one test shares it).
pub const PG_HASH_SECRET: &str = "pg_test_hash_secret_0123456789abcdefghijkl";

/// A configuration for a test, with a fresh database at `db` (a SQLite file,
/// or the PostgreSQL database standing for that path).
pub fn test_config(db: &std::path::Path) -> Config {
    let database_url = match backend() {
        Backend::Sqlite => format!("sqlite://{}", db.display()),
        Backend::Postgres { server, .. } => database_at(server, db),
    };
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        database_url: Some(database_url),
    };
    // An environment provider that matches nothing: tests do not see the machine's PHONEGUARD_ variables.
    let mut c = load_from(None, &overrides, Env::prefixed("PHONEGUARD_TEST_NOTHING_"))
        .expect("default config loads");
    c.admin_token = Some(ADMIN.into());
    if let Backend::Postgres { redis, .. } = backend() {
        // Required with PostgreSQL: the secret never lives in the database.
        c.hash_secret = Some(PG_HASH_SECRET.into());
        if let Some(redis) = redis {
            c.redis_url = Some(redis.clone().into());
            c.redis_prefix = Some(database_for(db));
        }
    }
    c
}

impl TestServer {
    /// Starts a server on a fresh database.
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(&dir.path().join("pg.db"));
        Self::start_with(config, dir).await
    }

    /// Starts a server with the given config, keeping `dir` alive as long as it runs.
    pub async fn start_with(config: Config, dir: tempfile::TempDir) -> TestServer {
        let (state, bootstrap) = phoneguard::start::prepare(&config)
            .await
            .expect("server prepares");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let key = bootstrap
            .default_key
            .expect("a fresh database bootstraps a key");
        Self::from_parts(listener, config, state, key, dir).await
    }

    /// Serves an already prepared `state` on `listener`, calling with `key` (for
    /// another node on an existing database, whose bootstrap made no key), keeping
    /// `dir` alive as long as it runs.
    pub async fn from_parts(
        listener: tokio::net::TcpListener,
        config: Config,
        state: phoneguard_server::AppState,
        key: String,
        dir: tempfile::TempDir,
    ) -> TestServer {
        let addr = listener.local_addr().unwrap();
        let url = config.database_url.expose_secret();
        let pg_database = url
            .starts_with("postgres")
            .then(|| url.rsplit('/').next().unwrap().to_string());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            phoneguard::start::run(&config, state, listener, async {
                let _ = rx.await;
            })
            .await
        });
        TestServer {
            addr,
            key,
            client: Client::new(),
            dir,
            stop: Some(tx),
            handle: Some(handle),
            pg_database,
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
        // The caller may start another server on the same database.
        self.pg_database = None;
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }

    /// Full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A GET with the tenant key.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(&self.key)
    }

    /// A POST of JSON with the tenant key.
    pub fn post(&self, path: &str, body: &Value) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.key)
            .json(body)
    }

    /// A new tenant named `name` and a test key of it; returns the key.
    pub async fn other_tenant_key(&self, name: &str) -> String {
        let (st, t) = json(
            self.admin(reqwest::Method::POST, "/v1/admin/tenants")
                .json(&serde_json::json!({ "name": name }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 201, "{t}");
        let keys = format!("/v1/admin/tenants/{}/keys", t["id"].as_str().unwrap());
        let (st, k) = json(
            self.admin(reqwest::Method::POST, &keys)
                .json(&serde_json::json!({"mode": "test"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, 201, "{k}");
        k["key"].as_str().unwrap().to_string()
    }

    /// A request with the admin token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(ADMIN)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let (Some(db), Backend::Postgres { server, .. }) = (self.pg_database.take(), backend()) {
            drop_database(server, &db);
        }
    }
}

/// The `/metrics` page (the metrics are shared by every server of the process).
pub async fn metrics_text(s: &TestServer) -> String {
    s.client
        .get(s.url("/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Status and JSON body of a response.
pub async fn json(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, v)
}

/// Asserts a problem+json response with the given status and code; returns the body.
pub async fn problem(resp: Response, status: u16, code: &str) -> Value {
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert!(
        resp.headers().contains_key("x-request-id"),
        "every response carries x-request-id"
    );
    let (s, body) = json(resp).await;
    assert_eq!(s, status, "status of {body}");
    assert_eq!(
        ct.as_deref(),
        Some("application/problem+json"),
        "content type of {body}"
    );
    assert_eq!(body["code"], code, "code of {body}");
    assert_eq!(body["status"], status);
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail of {body}"
    );
    body
}
