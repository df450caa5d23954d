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

/// Risk results are written on the request's thread, many in one transaction
/// (crates/store/src/risk/direct.rs): every event answered before a SIGKILL
/// is readable by its token after the restart, and so are verifications
/// written through the other writer at the same time.
#[tokio::test]
async fn risk_results_answered_before_kill_9_are_all_there_after_it() {
    let n = first_start("risk.db").await;
    let (db, port, base, c, key, mut child) = (&n.db, n.port, &n.base, &n.c, &n.key, n.child);
    let events = (0..40).map(|i| {
        let body = crate::risk::human(&format!("u-kill-{i}"), "58.30.12.7");
        let req = c
            .post(format!("{base}/v1/risk/register"))
            .bearer_auth(key)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let v: Value = r.json().await.unwrap();
            v["token"].as_str().unwrap().to_string()
        }
    });
    let phones: Vec<String> = (0..5).map(|i| format!("1380013810{i}")).collect();
    let starts = phones.iter().map(|p| start(c, base, key, p, "login"));
    let (tokens, started) = futures::future::join(
        futures::future::join_all(events),
        futures::future::join_all(starts),
    )
    .await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let (mut child, _) = spawn(db, port);
    wait_ready(c, base).await;
    let mut missing = Vec::new();
    for t in &tokens {
        let r = c
            .get(format!("{base}/v1/risk/results/{t}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        if r.status().as_u16() != 200 {
            missing.push(t.clone());
        }
    }
    let mut lost = Vec::new();
    for (status, v) in &started {
        assert_eq!(*status, 201, "{v}");
        let id = v["id"].as_str().unwrap();
        let r = c
            .get(format!("{base}/v1/verifications/{id}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        if r.status().as_u16() != 200 {
            lost.push(id.to_string());
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(tokens.len(), 40);
    assert!(missing.is_empty(), "risk results lost: {missing:?}");
    assert!(lost.is_empty(), "verifications lost: {lost:?}");
}
