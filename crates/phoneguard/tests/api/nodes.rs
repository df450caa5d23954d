//! Two real `phoneguard serve` processes on one PostgreSQL and one Redis, as
//! several nodes behind a load balancer run. Needs `PHONEGUARD_TEST_POSTGRES_URL`
//! and `PHONEGUARD_TEST_REDIS_URL` (CI sets both), so each test is `#[ignore]`d:
//! `cargo test --workspace -- --include-ignored` runs them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use reqwest::Client;
use serde_json::{Value, json};

use crate::backend::{drop_database, ensure_database, test_env};
use crate::verify_support::code_in;

pub const ADMIN: &str = "adm_nodes_token_0123456789abcdef";

/// The deployment: its database, Redis and key prefix.
pub struct Cluster {
    server: String,
    database: String,
    url: String,
    redis: String,
}

impl Cluster {
    /// A fresh database on the test server (the test is `#[ignore]`d unless
    /// PostgreSQL and Redis are there).
    pub fn create() -> Cluster {
        let server = test_env("PHONEGUARD_TEST_POSTGRES_URL");
        let redis = test_env("PHONEGUARD_TEST_REDIS_URL");
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let database = format!("pgapi_{}_nodes{n}", std::process::id());
        let url = ensure_database(&server, &database);
        Cluster {
            server,
            database,
            url,
            redis,
        }
    }

    /// Starts a node; the first node of a fresh database also returns the
    /// sandbox key it printed.
    pub async fn node(&self, first: bool, env: &[(&str, &str)]) -> Node {
        let port = crate::binary::free_port();
        let mut cmd = crate::binary::command();
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("PHONEGUARD_DATABASE_URL", &self.url)
            .env("PHONEGUARD_REDIS_URL", &self.redis)
            .env("PHONEGUARD_REDIS_PREFIX", &self.database)
            .env("PHONEGUARD_ADMIN_TOKEN", ADMIN)
            .env("PHONEGUARD_HASH_SECRET", crate::harness::PG_HASH_SECRET)
            .env("PHONEGUARD_VERIFY__RESEND_COOLDOWN_S", "0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut key = None;
        if first {
            for line in lines.by_ref() {
                if let Some(k) = line.unwrap().trim().strip_prefix("pk_test_") {
                    key = Some(format!("pk_test_{k}"));
                    break;
                }
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let node = Node {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: Client::new(),
            key,
        };
        node.wait_ready().await;
        node
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        drop_database(&self.server, &self.database);
    }
}

/// One running `phoneguard serve`.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    client: Client,
    /// The sandbox key printed by the first start.
    pub key: Option<String>,
}

impl Node {
    async fn wait_ready(&self) {
        for _ in 0..300 {
            if let Ok(r) = self
                .client
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("node at {} did not become ready", self.base);
    }

    /// POSTs JSON with `key`; status and body.
    pub async fn post(&self, key: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// PUTs JSON with `key`; status and body.
    pub async fn put(&self, key: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .put(format!("{}{path}", self.base))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// GETs with `key`; status and body.
    pub async fn get(&self, key: &str, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// The newest code this node's sandbox outbox holds for `phone` (the outbox
    /// is per node: it is the phone's inbox, not shared state).
    pub async fn code_for(&self, key: &str, phone: &str) -> String {
        let (st, m) = self
            .get(key, &format!("/v1/sandbox/messages?phone={phone}"))
            .await;
        assert_eq!(st, 200, "{m}");
        code_in(m["messages"][0]["text"].as_str().unwrap())
    }

    /// SIGKILL, no shutdown of any kind.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts an SMS login verification; its id.
pub async fn start_sms(node: &Node, key: &str, phone: &str) -> String {
    let (st, v) = node
        .post(
            key,
            "/v1/verifications",
            &json!({"phone": phone, "channel": "sms", "purpose": "login"}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// The id of tenant `default` (the sandbox key's), asked of `node`.
pub async fn default_tenant(node: &Node) -> String {
    let (st, b) = node.get(ADMIN, "/v1/admin/tenants").await;
    assert_eq!(st, 200, "{b}");
    b["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "default")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Sets the limits of tenant `default` (the sandbox key's) through `node`.
async fn put_default_tenant_limits(node: &Node, limits: Value) {
    let tenant = default_tenant(node).await;
    let (st, b) = node
        .put(
            ADMIN,
            &format!("/v1/admin/tenants/{tenant}/limits"),
            &limits,
        )
        .await;
    assert_eq!(st, 200, "{b}");
}

/// Looks up one number; status and body.
async fn lookup(node: &Node, key: &str) -> (u16, Value) {
    node.get(key, "/v1/numbers/13800138000").await
}

pub async fn check(node: &Node, key: &str, id: &str, code: &str) -> (u16, Value) {
    node.post(
        key,
        &format!("/v1/verifications/{id}/check"),
        &json!({"code": code}),
    )
    .await
}

#[ignore = "needs PostgreSQL + Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_verification_started_on_one_node_is_checked_on_the_other_exactly_once() {
    let cluster = Cluster::create();
    let a = cluster.node(true, &[]).await;
    let b = cluster.node(false, &[]).await;
    let key = a
        .key
        .clone()
        .expect("the first node prints the sandbox key");

    let id = start_sms(&a, &key, "13900000001").await;
    let code = a.code_for(&key, "13900000001").await;
    let (st, v) = b.get(&key, &format!("/v1/verifications/{id}")).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("pending")), "{v}");
    let (st, v) = check(&b, &key, &id, &code).await;
    assert_eq!((st, v["status"].as_str()), (200, Some("approved")), "{v}");
    let (st, v) = check(&a, &key, &id, &code).await;
    assert_eq!(st, 409, "a code is single-use across nodes: {v}");

    // Both nodes check the same correct code at once, several times over: one wins.
    for i in 0..5 {
        let phone = format!("1390000010{i}");
        let id = start_sms(&b, &key, &phone).await;
        let code = b.code_for(&key, &phone).await;
        let (ra, rb) = tokio::join!(check(&a, &key, &id, &code), check(&b, &key, &id, &code));
        let approved = [&ra, &rb]
            .iter()
            .filter(|(st, v)| *st == 200 && v["status"] == "approved")
            .count();
        assert_eq!(approved, 1, "exactly one approval: {ra:?} {rb:?}");
    }
}

#[ignore = "needs PostgreSQL + Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_send_limit_counts_the_sends_of_both_nodes() {
    let cluster = Cluster::create();
    let limit = [("PHONEGUARD_VERIFY__MAX_SENDS_PER_PHONE", "4")];
    let a = cluster.node(true, &limit).await;
    let b = cluster.node(false, &limit).await;
    let key = a.key.clone().unwrap();
    for node in [&a, &b, &a, &b] {
        start_sms(node, &key, "13900000201").await;
    }
    for node in [&a, &b] {
        let (st, v) = node
            .post(
                &key,
                "/v1/verifications",
                &json!({"phone": "13900000201", "channel": "sms", "purpose": "login"}),
            )
            .await;
        assert_eq!(st, 429, "the fifth send, on either node, is refused: {v}");
        assert_eq!(v["code"], "rate_limited", "{v}");
    }
}

#[ignore = "needs PostgreSQL + Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn an_api_rate_limit_counts_the_requests_of_both_nodes() {
    let cluster = Cluster::create();
    let a = cluster.node(true, &[]).await;
    let key = a.key.clone().unwrap();
    // Two lookups a second for the tenant (GCRA, burst 2), set before node B
    // starts so that it reads them fresh.
    put_default_tenant_limits(&a, json!({"rate_per_s": {"lookup": 2}})).await;
    let b = cluster.node(false, &[]).await;
    // A, B, A, B within half a second (one request's worth at 2/s): the first
    // two are the burst, the third and fourth are refused, though each node
    // has seen only one request before (counted per node, both would pass). A
    // run slower than that proves nothing and is tried again on a full bucket.
    for attempt in 0..5 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(1_100)).await;
        }
        let t0 = std::time::Instant::now();
        let mut answers = vec![];
        for node in [&a, &b, &a, &b] {
            answers.push(lookup(node, &key).await);
        }
        if t0.elapsed() >= Duration::from_millis(450) {
            eprintln!("attempt {attempt} took {:?}; again", t0.elapsed());
            continue;
        }
        let statuses: Vec<u16> = answers.iter().map(|(st, _)| *st).collect();
        assert_eq!(statuses, [200, 200, 429, 429], "{answers:?}");
        for (_, v) in &answers[2..] {
            assert_eq!(v["code"], "rate_limited", "{v}");
            assert_eq!(v["scope"], "tenant", "{v}");
            assert_eq!(v["capability"], "lookup", "{v}");
        }
        return;
    }
    panic!("five runs of four lookups each took over 450 ms");
}

#[ignore = "needs PostgreSQL + Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_daily_quota_counts_the_calls_of_both_nodes() {
    let cluster = Cluster::create();
    let a = cluster.node(true, &[]).await;
    let key = a.key.clone().unwrap();
    put_default_tenant_limits(&a, json!({"daily_quota": {"lookup": 4}})).await;
    let b = cluster.node(false, &[]).await;
    for node in [&a, &b, &a, &b] {
        let (st, v) = lookup(node, &key).await;
        assert_eq!(st, 200, "{v}");
    }
    // Each node has made two calls; counted per node, both would have two left.
    for node in [&a, &b] {
        let (st, v) = lookup(node, &key).await;
        assert_eq!(st, 429, "the fifth call, on either node, is refused: {v}");
        assert_eq!(v["code"], "quota_exceeded", "{v}");
        assert_eq!(v["limit"], 4, "{v}");
    }
}

#[ignore = "needs PostgreSQL + Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_risk_velocity_sees_the_events_of_both_nodes() {
    let cluster = Cluster::create();
    let a = cluster.node(true, &[]).await;
    let b = cluster.node(false, &[]).await;
    let key = a.key.clone().unwrap();
    let mut last = Value::Null;
    for i in 0..40 {
        let node = if i % 2 == 0 { &a } else { &b };
        let event = json!({
            "account": format!("bot-{i}"), "ip": "36.110.5.9", "run_env": 5, "move_count": 140,
            "click_count": 9, "key_count": 38, "operating_time": 41, "device_id": format!("dev-{i}"),
        });
        let (st, r) = node.post(&key, "/v1/risk/register", &event).await;
        assert_eq!(st, 200, "{r}");
        last = r;
    }
    let details: Vec<&str> = last["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.contains("40")),
        "the velocity counts 40 events, 20 per node: {details:?}"
    );
    assert!(
        !last["reasons"].to_string().contains("velocity_unavailable"),
        "{last}"
    );
}
