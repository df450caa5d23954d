//! A 201 means committed: the real binary is killed with SIGKILL right after
//! starting a verification, restarted on the same database, and the code checks.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use serde_json::{Value, json};

use crate::verify_support::code_in;

fn spawn(db: &std::path::Path, port: u16) -> (Child, Option<String>) {
    let mut child = crate::binary::serve_sqlite(db, port)
        .env("PHONEGUARD_ADMIN_TOKEN", "adm_durability_token_0123456789")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut key = None;
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    // The first start prints the sandbox key; a restart prints nothing.
    if !db.with_extension("started").exists() {
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(k) = line.trim().strip_prefix("pk_test_") {
                key = Some(format!("pk_test_{k}"));
                break;
            }
        }
        std::fs::write(db.with_extension("started"), b"1").unwrap();
    }
    std::thread::spawn(move || for _ in lines {});
    (child, key)
}

async fn wait_ready(c: &reqwest::Client, base: &str) {
    crate::binary::wait_answering(c, base, "/healthz").await;
}

/// A node started for the first time on a database file of its own.
struct FirstStart {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    port: u16,
    base: String,
    c: reqwest::Client,
    child: Child,
    key: String,
}

async fn first_start(name: &str) -> FirstStart {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(name);
    let port = crate::binary::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let c = reqwest::Client::new();
    let (child, key) = spawn(&db, port);
    let key = key.expect("the first start prints a key");
    wait_ready(&c, &base).await;
    FirstStart {
        _dir: dir,
        db,
        port,
        base,
        c,
        child,
        key,
    }
}

#[tokio::test]
async fn a_verification_survives_kill_9_right_after_its_201() {
    let n = first_start("durable.db").await;
    let (db, port, base, c, key, mut child) = (&n.db, n.port, &n.base, &n.c, &n.key, n.child);
    let r = c
        .post(format!("{base}/v1/verifications"))
        .bearer_auth(key)
        .json(&json!({"phone": "13800138000", "channel": "sms", "purpose": "login"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let v: Value = r.json().await.unwrap();
    let m: Value = c
        .get(format!("{base}/v1/sandbox/messages?phone=13800138000"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = code_in(m["messages"][0]["text"].as_str().unwrap());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (mut child, _) = spawn(db, port);
    wait_ready(c, base).await;
    let r = c
        .post(format!(
            "{base}/v1/verifications/{}/check",
            v["id"].as_str().unwrap()
        ))
        .bearer_auth(key)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(body["status"], "approved", "{body}");
}

/// Starts an SMS verification of `phone` for `purpose` (a purpose per start:
/// the resend cooldown refuses a new start of the same phone and purpose).
async fn start(
    c: &reqwest::Client,
    base: &str,
    key: &str,
    phone: &str,
    purpose: &str,
) -> (u16, Value) {
    let r = c
        .post(format!("{base}/v1/verifications"))
        .bearer_auth(key)
        .json(&json!({"phone": phone, "channel": "sms", "purpose": purpose}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn the_send_limit_of_a_phone_holds_across_a_restart() {
    let n = first_start("windows.db").await;
    let (db, port, base, c, key, mut child) = (&n.db, n.port, &n.base, &n.c, &n.key, n.child);
    // The default allows 5 codes per phone per 600 s.
    for i in 0..5 {
        let (status, body) = start(c, base, key, "13800138001", &format!("signup{i}")).await;
        assert_eq!(status, 201, "send {i}: {body}");
    }
    let (status, body) = start(c, base, key, "13800138001", "signup5").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["limit"], "phone", "{body}");
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, _) = spawn(db, port);
    wait_ready(c, base).await;
    let after = start(c, base, key, "13800138001", "signup6").await;
    let other = start(c, base, key, "13800138002", "signup").await;
    child.kill().unwrap();
    child.wait().unwrap();
    // The restarted node remembers the five sends (their windows were seeded
    // from the database), and still sends to another phone.
    assert_eq!(after.0, 429, "{}", after.1);
    assert_eq!(after.1["limit"], "phone", "{}", after.1);
    assert_eq!(other.0, 201, "{}", other.1);
}
