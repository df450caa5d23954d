//! Helpers of the verification tests: servers with chosen messaging
//! suppliers and limits, starting verifications, reading the sandbox outbox.

use phoneguard::config::Config;
use phoneguard_core::suppliers::SupplierConfig;
use serde_json::{Value, json};

use crate::harness::{TestServer, json, problem, test_config};

/// A sandbox messaging supplier seed.
pub fn sandbox(id: &str, capability: &str, weight: u32, options: Value) -> SupplierConfig {
    serde_json::from_value(json!({
        "id": id, "kind": "sandbox", "capabilities": [capability], "weight": weight, "options": options,
    }))
    .unwrap()
}

/// A server whose config `f` adjusts (resend cooldown off unless `f` sets it).
pub async fn server_with(f: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut c = test_config(&dir.path().join("pg.db"));
    c.verify.resend_cooldown_s = 0;
    f(&mut c);
    TestServer::start_with(c, dir).await
}

/// A server whose SMS suppliers are `sms` instead of the default ones.
pub async fn server_with_sms(sms: Vec<SupplierConfig>) -> TestServer {
    server_with(|c| {
        c.suppliers.seed.retain(|s| {
            !s.capabilities
                .contains(&phoneguard_core::suppliers::Capability::Sms)
        });
        c.suppliers.seed.extend(sms);
    })
    .await
}

/// A server with the embedded default suppliers (sms-a 20, sms-b 10, voice-a).
pub async fn server() -> TestServer {
    server_with(|_| {}).await
}

/// Starts a verification; returns status and body.
pub async fn start(s: &TestServer, body: Value) -> (u16, Value) {
    json(s.post("/v1/verifications", &body).send().await.unwrap()).await
}

/// Starts an SMS login verification for `phone` and returns its id.
pub async fn start_sms(s: &TestServer, phone: &str) -> String {
    let (st, v) = start(
        s,
        json!({"phone": phone, "channel": "sms", "purpose": "login"}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// The messages of the sandbox outbox for a phone, newest first.
pub async fn messages(s: &TestServer, phone: &str) -> Vec<Value> {
    let (st, v) = json(
        s.get(&format!("/v1/sandbox/messages?phone={phone}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    v["messages"].as_array().unwrap().clone()
}

/// The code in a message text (the first run of 4 or more digits).
pub fn code_in(text: &str) -> String {
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else if run.len() >= 4 {
            return run;
        } else {
            run.clear();
        }
    }
    run
}

/// The newest code sent to a phone.
pub async fn latest_code(s: &TestServer, phone: &str) -> String {
    let m = messages(s, phone).await;
    code_in(
        m.first().expect("a message in the outbox")["text"]
            .as_str()
            .unwrap(),
    )
}

/// Checks a code; returns status and body.
pub async fn check(s: &TestServer, id: &str, code: &str) -> (u16, Value) {
    json(
        s.post(
            &format!("/v1/verifications/{id}/check"),
            &json!({"code": code}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await
}

/// Reads a verification back; returns status and body.
pub async fn fetch(s: &TestServer, id: &str) -> (u16, Value) {
    json(
        s.get(&format!("/v1/verifications/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Resends; returns status and body.
pub async fn resend(s: &TestServer, id: &str) -> (u16, Value) {
    json(
        s.post(&format!("/v1/verifications/{id}/resend"), &json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The sandbox call log of a phone (flash calls show their caller).
pub async fn calls(s: &TestServer, phone: &str) -> Vec<Value> {
    let (_, v) = json(
        s.get(&format!("/v1/sandbox/calls?phone={phone}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    v["calls"].as_array().unwrap().clone()
}

/// Reports a flash call's incoming numbers; returns status and body.
pub async fn report(s: &TestServer, id: &str, numbers: &[&str]) -> (u16, Value) {
    json(
        s.post(
            &format!("/v1/verifications/{id}/report"),
            &json!({"incoming_numbers": numbers}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await
}

/// Starts a verification that a send limit refuses: a 429 `rate_limited`
/// naming `limit`, with `Retry-After`; returns the seconds it says.
pub async fn limited(s: &TestServer, body: Value, limit: &str) -> u64 {
    let r = s.post("/v1/verifications", &body).send().await.unwrap();
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let b = problem(r, 429, "rate_limited").await;
    assert_eq!(b["limit"], limit, "{b}");
    retry
}

/// A server whose voice supplier `voice-a` has exactly the caller numbers
/// `pool`, its config otherwise adjusted by `f`.
pub async fn server_with_callers(pool: &[&str], f: impl FnOnce(&mut Config)) -> TestServer {
    let pool: Vec<String> = pool.iter().map(|c| c.to_string()).collect();
    server_with(|c| {
        c.suppliers.seed.retain(|x| x.id != "voice-a");
        c.suppliers.seed.push(sandbox(
            "voice-a",
            "voice",
            10,
            json!({ "caller_pool": pool }),
        ));
        f(c);
    })
    .await
}

/// A wrong code (or hex token) of the same length as `code`: every
/// character changed, so it differs whatever the random value was.
pub fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect()
}

/// Runs the futures at once, polled together; their outputs in order.
pub async fn futures_join<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = fs.collect();
    let mut out = vec![];
    let mut set = Vec::new();
    for f in handles {
        set.push(Box::pin(f));
    }
    // Poll all at once.
    let joined = std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, f) in set.iter_mut().enumerate() {
            if out.len() <= i {
                out.push(None);
            }
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    });
    joined.await;
    out.into_iter().map(Option::unwrap).collect()
}
