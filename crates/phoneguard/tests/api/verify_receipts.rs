//! Delivery receipts in a vendor's own scheme, through HTTP: Twilio's status
//! callback (form body, `X-Twilio-Signature`) for a message sent through a
//! local fake of Twilio's Messages API.

use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{TestServer, json, problem, test_config};
use crate::suppliers::{MASTER, admin_json};

const TOKEN: &str = "twilio-auth-token-5f1c";
const SID: &str = "SM5f1c0000000000000000000000000001";

/// A fake of Twilio's REST API: answers every request with a queued message
/// `SID` and keeps the requests it got.
async fn fake_twilio() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(vec![]));
    let keep = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let mut buf = vec![];
                let mut chunk = [0u8; 4096];
                loop {
                    let n = conn.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            keep.lock().unwrap().push(text);
                            break;
                        }
                    }
                }
                let body = json!({"sid": SID, "status": "queued"}).to_string();
                let resp = format!(
                    "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

/// A server whose only SMS supplier is `twilio-a` on the fake, and a live key
/// (test keys only reach sandbox suppliers).
async fn server_on_twilio(base_url: &str) -> (TestServer, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = test_config(&dir.path().join("pg.db"));
    c.master_key = Some(MASTER.into());
    c.verify.resend_cooldown_s = 0;
    c.suppliers.seed.retain(|s| {
        !s.capabilities
            .contains(&phoneguard_core::suppliers::Capability::Sms)
    });
    let s = TestServer::start_with(c, dir).await;
    let (st, b) = admin_json(
        &s,
        Method::POST,
        "/v1/admin/suppliers",
        Some(json!({
            "id": "twilio-a", "kind": "twilio", "capabilities": ["sms"], "weight": 10,
            "options": {"base_url": base_url, "from": "+15005550006"},
            "credentials": {"account_sid": "AC5f1c", "auth_token": TOKEN}
        })),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    let tenant = crate::limits::default_tenant(&s).await;
    let (_, k) = admin_json(
        &s,
        Method::POST,
        &format!("/v1/admin/tenants/{tenant}/keys"),
        Some(json!({"mode": "live"})),
    )
    .await;
    (s, k["key"].as_str().unwrap().to_string())
}

async fn twilio_callback(
    s: &TestServer,
    form: &[(&str, &str)],
    signature: &str,
) -> reqwest::Response {
    // Form encoding of these values: only `+` needs escaping.
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
        .collect::<Vec<_>>()
        .join("&");
    s.client
        .post(s.url("/v1/receipts/twilio/twilio-a"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_twilio_status_callback_is_verified_by_its_signature_and_marks_the_attempt() {
    let (base, seen) = fake_twilio().await;
    let (s, live) = server_on_twilio(&base).await;
    let start = |body: serde_json::Value| {
        s.client
            .post(s.url("/v1/verifications"))
            .bearer_auth(&live)
            .json(&body)
            .send()
    };
    let (st, v) = json(
        start(json!({"phone": "+8613900139000", "channel": "sms", "purpose": "login"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["attempts"][0]["supplier"], "twilio-a");
    let id = v["id"].as_str().unwrap().to_string();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(
            seen[0].starts_with("POST /2010-04-01/Accounts/AC5f1c/Messages.json"),
            "{}",
            seen[0]
        );
    }

    let form = [
        ("AccountSid", "AC5f1c"),
        ("MessageSid", SID),
        ("MessageStatus", "undelivered"),
        ("To", "+8613900139000"),
    ];
    let params: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = s.url("/v1/receipts/twilio/twilio-a");
    let good = phoneguard_suppliers::messaging::twilio_signature(TOKEN, &url, &params);
    let forged = phoneguard_suppliers::messaging::twilio_signature("not-the-token", &url, &params);
    problem(
        twilio_callback(&s, &form, &forged).await,
        401,
        "unauthorized",
    )
    .await;
    // A signature of other parameters does not verify either.
    let mut tampered = form;
    tampered[2] = ("MessageStatus", "delivered");
    problem(
        twilio_callback(&s, &tampered, &good).await,
        401,
        "unauthorized",
    )
    .await;
    let (_, g) = json(
        s.client
            .get(s.url(&format!("/v1/verifications/{id}")))
            .bearer_auth(&live)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        g["attempts"][0]["delivery"], "sent",
        "refused receipts change nothing: {g}"
    );

    let ok = twilio_callback(&s, &form, &good).await;
    assert_eq!(ok.status().as_u16(), 200);
    let (_, g) = json(
        s.client
            .get(s.url(&format!("/v1/verifications/{id}")))
            .bearer_auth(&live)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(g["attempts"][0]["delivery"], "failed", "{g}");
    // A receipt of the wrong kind for this supplier is not taken.
    let r = s
        .client
        .post(s.url("/v1/receipts/sandbox/twilio-a"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "{:?}", r.text().await);
    s.stop().await;
}
