//! Starts the real server in-process on port 0 with its own SQLite file.

use std::net::SocketAddr;

use figment::providers::Env;
use phoneguard::config::{Overrides, load_from};
use phoneguard_core::config::Config;
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;
use tokio::sync::oneshot;

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
}

/// A configuration for a test, with a fresh database in `dir`.
pub fn test_config(db: &std::path::Path) -> Config {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        database_url: Some(format!("sqlite://{}", db.display())),
    };
    // An environment provider that matches nothing: tests do not see the machine's PHONEGUARD_ variables.
    let mut c = load_from(None, &overrides, Env::prefixed("PHONEGUARD_TEST_NOTHING_"))
        .expect("default config loads");
    c.admin_token = Some(ADMIN.into());
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

    /// A request with the admin token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(ADMIN)
    }
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
