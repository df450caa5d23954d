//! Local fakes of vendor HTTP APIs: a listener that answers every request with
//! a scripted response and keeps the requests it got.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The requests a fake got, each as text: request line, headers and body.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// A fake vendor API, at the returned base URL, that answers each request
/// (given as text) with the raw HTTP response `answer` makes of it.
pub async fn fake_http(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(vec![]));
    let keep = seen.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let keep = keep.clone();
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = vec![];
                let mut chunk = [0u8; 4096];
                let request = loop {
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
                            break text;
                        }
                    }
                };
                let resp = answer(&request);
                keep.lock().unwrap().push(request);
                let _ = conn.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

/// A raw response: `status` (e.g. `200 OK`), extra `headers` and a JSON `body`;
/// the connection closes after it.
pub fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}
