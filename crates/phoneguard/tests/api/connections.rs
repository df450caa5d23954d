//! Connections and requests hyper refuses before the router: timeouts of slow,
//! silent and idle clients, stalled bodies, and heads that cannot be parsed.
//! Spoken over raw sockets, since an HTTP client would not send them.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{ADMIN, TestServer, test_config};

/// A server whose header-read and request timeouts are 1 s.
async fn impatient() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir.path().join("pg.db"));
    config.http.header_read_timeout_s = 1;
    config.http.request_timeout_s = 1;
    TestServer::start_with(config, dir).await
}

/// Reads until the server closes the connection; `None` if it is still open
/// after 10 s (far longer than any timeout these tests set).
async fn until_closed(sock: &mut TcpStream) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 8192];
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.ok().map(|()| got)
}

/// Status, lower-cased head and body of a raw response.
fn split(raw: &[u8]) -> (u16, String, String) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_string())
}

/// Sends `request` (from another task, as the server may stop reading it) and
/// asserts the answer is a problem+json with `status` and `code` whose detail
/// names `names`.
async fn refused(addr: SocketAddr, request: Vec<u8>, status: u16, code: &str, names: &str) {
    let sock = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = sock.into_split();
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&request).await;
        wr
    });
    let mut raw = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), rd.read_to_end(&mut raw)).await;
    assert!(read.is_ok(), "the connection is closed after the answer");
    drop(writer.await);
    let (got, head, body) = split(&raw);
    assert_eq!(got, status, "{head}\n{body}");
    assert!(
        head.contains("content-type: application/problem+json"),
        "{head}"
    );
    assert!(head.contains("x-request-id: "), "{head}");
    let doc: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}"));
    assert_eq!(
        (doc["status"].as_u64(), doc["code"].as_str()),
        (Some(status.into()), Some(code)),
        "{doc}"
    );
    assert!(doc["detail"].as_str().unwrap().contains(names), "{doc}");
}

#[tokio::test]
async fn slow_silent_and_idle_clients_are_cut_off_while_others_are_served() {
    let s = impatient().await;
    let mut partial = TcpStream::connect(s.addr).await.unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(s.addr).await.unwrap();
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200", "a keep-alive response first");

    let ok = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200, "a normal client is served meanwhile");

    let cut = until_closed(&mut partial)
        .await
        .expect("a partial head is cut off");
    assert!(cut.is_empty(), "nothing is answered to it: {cut:?}");
    assert!(
        until_closed(&mut silent).await.is_some(),
        "a silent connection is closed"
    );
    assert!(
        until_closed(&mut idle).await.is_some(),
        "an idle keep-alive connection is closed"
    );
    // A new client: the shared one's pooled connection was idle as long as
    // `idle` and is being closed by the server just like it (reusing it races
    // that close: "connection closed before message completed").
    let ok = reqwest::Client::new()
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn a_stalled_request_body_gets_a_408_problem() {
    let s = impatient().await;
    let mut sock = TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST /v1/admin/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"na"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let raw = until_closed(&mut sock).await.expect("closed after the 408");
    let (status, head, body) = split(&raw);
    assert_eq!(status, 408, "{head}\n{body}");
    assert!(
        head.contains("content-type: application/problem+json"),
        "{head}"
    );
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["code"], "request_timeout", "{doc}");
    assert!(doc["detail"].as_str().unwrap().contains("body"), "{doc}");
    s.stop().await;
}

#[tokio::test]
async fn heads_hyper_cannot_parse_get_problem_json_naming_the_problem() {
    let s = TestServer::start().await;
    let get = |target: &[u8], headers: &[u8]| {
        [
            b"GET ",
            target,
            b" HTTP/1.1\r\nHost: x\r\n",
            headers,
            b"\r\n",
        ]
        .concat()
    };
    refused(
        s.addr,
        get(b"/v1/numbers/\xff\xfe", b""),
        400,
        "invalid_request",
        "path",
    )
    .await;
    refused(
        s.addr,
        get(b"/healthz", b"X-Note: a\0b\r\n"),
        400,
        "invalid_request",
        "NUL",
    )
    .await;
    let many: Vec<u8> = (0..2000)
        .flat_map(|i| format!("X-H{i}: v\r\n").into_bytes())
        .collect();
    refused(
        s.addr,
        get(b"/healthz", &many),
        431,
        "headers_too_large",
        "headers",
    )
    .await;
    let long = [b"/healthz?".as_slice(), &vec![b'a'; 1 << 20]].concat();
    refused(
        s.addr,
        get(&long, b""),
        431,
        "headers_too_large",
        "request line",
    )
    .await;
    // Percent-encoded invalid UTF-8 reaches the router and is refused there.
    let r = s.get("/v1/numbers/%FF%FE").send().await.unwrap();
    crate::harness::problem(r, 400, "invalid_request").await;
    let ok = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(ok.status(), 200, "the server still serves");
    s.stop().await;
}
