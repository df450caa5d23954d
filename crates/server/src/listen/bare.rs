//! hyper answers a request it cannot parse by itself (a NUL in a header,
//! bytes not allowed in the path, too many headers, a head over the size
//! limit) with a head and no body: `HTTP/1.1 400 Bad Request`, `431`, `414`.
//! Those never reach the router, so [`ProblemIo`] sits between hyper and the
//! socket and replaces such a head, as it is written, by a problem+json
//! answer naming the problem.
//!
//! It can tell hyper's answer from ours because every answer of the
//! application carries `x-request-id` (the edge layer adds it), and hyper's
//! own never does. The replacement keeps hyper's status and `date`, adds a
//! fresh request id and `connection: close` (hyper closes the connection after
//! a parse error anyway).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use hyper::rt::{Read, ReadBufCursor, Write};

use crate::error::{Problem, ProblemCode, ProblemExtra};

/// Most headers in a request (hyper's default, set explicitly to name it).
pub const MAX_HEADERS: usize = 100;
/// Most bytes of a request line and its headers together.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// An IO that rewrites hyper's bare parse-error answers; see the
/// [module](self) documentation.
pub struct ProblemIo<T> {
    inner: T,
    /// A replacement being written: its bytes, how many are out, and the length
    /// of hyper's buffer to report once they all are.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<T> ProblemIo<T> {
    pub fn new(inner: T) -> Self {
        ProblemIo {
            inner,
            pending: None,
        }
    }
}

/// The status of `buf` if it is a whole response head from hyper's parse-error
/// path: 400, 414 or 431, without `x-request-id`.
fn bare_error_status(buf: &[u8]) -> Option<StatusCode> {
    let status = match buf.get(..13)? {
        b"HTTP/1.1 400 " => StatusCode::BAD_REQUEST,
        b"HTTP/1.1 414 " => StatusCode::URI_TOO_LONG,
        b"HTTP/1.1 431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let ours = head_lines(&buf[..end]).any(|line| has_name(line, b"x-request-id"));
    (!ours).then_some(status)
}

fn head_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn has_name(line: &[u8], name: &[u8]) -> bool {
    line.len() > name.len()
        && line[..name.len()].eq_ignore_ascii_case(name)
        && line[name.len()] == b':'
}

/// The stable code and the message of each status hyper answers by itself.
fn explain(status: StatusCode) -> (ProblemCode, String) {
    match status.as_u16() {
        431 => (
            ProblemCode::HeadersTooLarge,
            format!(
                "the request head is too large: more than {MAX_HEADERS} headers, or a request \
                 line and headers over {} KiB",
                MAX_HEAD_BYTES / 1024
            ),
        ),
        414 => (
            ProblemCode::UriTooLong,
            "the request target (path and query) is too long".into(),
        ),
        _ => (
            ProblemCode::InvalidRequest,
            "the request line or a header could not be parsed: a malformed method, path or \
             version, bytes a path may not hold (raw non-ASCII, spaces), or a header with a \
             control character such as NUL"
                .into(),
        ),
    }
}

/// The problem+json response that replaces hyper's `head`.
fn replacement(status: StatusCode, head: &[u8]) -> Vec<u8> {
    let (code, detail) = explain(status);
    let extra = ProblemExtra::default();
    let body = Problem::new(status, code, &detail, &extra).to_json();
    let id = crate::edge::new_request_id();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nx-request-id: {}\r\n\
         connection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        crate::error::PROBLEM_JSON,
        body.len(),
        id.to_str().unwrap_or("-"),
    )
    .into_bytes();
    if let Some(date) = head_lines(head).find(|l| has_name(l, b"date")) {
        out.extend_from_slice(date);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
    let span = tracing::info_span!("request", request_id = %id.to_str().unwrap_or("-"));
    span.in_scope(|| {
        tracing::info!(target: "phoneguard::access", method = "-", route = "unparsed",
            status = status.as_u16(), "request");
    });
    out
}

impl<T: Write + Unpin> ProblemIo<T> {
    /// Writes the pending replacement; `Ready(Ok(n))` reports hyper's `n`
    /// bytes written once all of it is out.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while let Some((bytes, done, reported)) = self.pending.as_mut() {
            if *done == bytes.len() {
                let n = *reported;
                self.pending = None;
                return Poll::Ready(Ok(n));
            }
            match ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..])) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => *done += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(0))
    }

    /// Starts a replacement if `buf` is a bare error head.
    fn intercept(&mut self, buf: &[u8]) -> bool {
        if self.pending.is_none()
            && let Some(status) = bare_error_status(buf)
        {
            self.pending = Some((replacement(status, buf), 0, buf.len()));
        }
        self.pending.is_some()
    }
}

impl<T: Read + Unpin> Read for ProblemIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for ProblemIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.intercept(buf) {
            return this.poll_pending(cx);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        // hyper queues a head as one slice, the first.
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &b[..]);
        if this.intercept(first) {
            return this.poll_pending(cx);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_s_own_error_heads_are_recognised() {
        let hyper = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\
                      date: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n";
        assert_eq!(
            bare_error_status(hyper),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let ours = b"HTTP/1.1 400 Bad Request\r\nX-Request-Id: abc\r\n\r\n{}";
        assert_eq!(bare_error_status(ours), None);
        assert_eq!(bare_error_status(b"HTTP/1.1 200 OK\r\n\r\n"), None);
        assert_eq!(
            bare_error_status(b"HTTP/1.1 400 Bad"),
            None,
            "not a whole head"
        );
        let text = String::from_utf8(replacement(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            hyper,
        ))
        .unwrap();
        assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
        assert!(text.contains("\r\ndate: Thu, 01 Jan 2026"), "{text}");
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let doc: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(doc["code"], "headers_too_large");
    }
}
