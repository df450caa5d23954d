//! The accept loop: HTTP/1.1 connections with a header-read timeout (which is
//! also how long an idle keep-alive connection is kept), a cap on open
//! connections, hyper's parse errors answered as problem+json, and graceful
//! shutdown.
//!
//! Over the cap the loop stops accepting until a connection closes: new
//! clients wait in the kernel's listen backlog rather than being refused, and
//! since every idle or silent connection is closed after the header-read
//! timeout, a slot frees within that time even when the open connections are
//! all idle. The process never runs out of descriptors because of clients.

mod bare;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

pub use bare::{MAX_HEAD_BYTES, MAX_HEADERS};

/// How connections are accepted and kept.
#[derive(Debug, Clone, Copy)]
pub struct ListenConfig {
    /// A request running longer is answered 503 (408 while its body is awaited).
    pub request_timeout: Duration,
    /// A client must send a complete request head within this after
    /// connecting or after the previous response; otherwise the connection
    /// is closed (partial heads, silent and idle keep-alive connections).
    pub header_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight
/// requests finish (idle connections close at once) and returns when every
/// connection is closed.
pub async fn serve(
    app: Router,
    config: ListenConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .keep_alive(true)
        .max_headers(MAX_HEADERS)
        .max_header_size(MAX_HEAD_BYTES);
    // Dropped when shutting down: connections see `closed()` and finish.
    let (stop_tx, _) = watch::channel(());
    // Each connection holds a receiver; `closed()` completes when all are gone.
    let (done_tx, done_rx) = watch::channel(());
    tokio::pin!(shutdown);
    let mut saturated = false;
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => {
                saturated = false;
                p
            }
            Err(_) => {
                if !std::mem::replace(&mut saturated, true) {
                    tracing::warn!(
                        max_connections = config.max_connections,
                        "connection cap reached (http.max_connections): not accepting until one closes"
                    );
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                    _ = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let conn = Conn {
            app: app.clone(),
            http: http.clone(),
            stop: stop_tx.subscribe(),
            done: done_rx.clone(),
            _permit: permit,
        };
        tokio::spawn(conn.run(stream, peer));
    }
    drop(listener);
    drop(stop_tx);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

/// One accepted connection and what it holds until it closes.
struct Conn {
    app: Router,
    http: hyper::server::conn::http1::Builder,
    stop: watch::Receiver<()>,
    done: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    async fn run(mut self, stream: TcpStream, peer: std::net::SocketAddr) {
        let app = self.app;
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let mut req = req.map(axum::body::Body::new);
            // The peer address reaches handlers (the throttle of failed admin
            // authentication), as axum's `into_make_service_with_connect_info`.
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let io = bare::ProblemIo::new(TokioIo::new(stream));
        let conn = self.http.serve_connection(io, service);
        tokio::pin!(conn);
        let mut stopping = false;
        loop {
            tokio::select! {
                res = conn.as_mut() => {
                    if let Err(e) = res {
                        tracing::debug!(error = %e, "connection closed on an error");
                    }
                    break;
                }
                _ = self.stop.changed(), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
        drop(self.done);
    }
}

/// Connection errors of one client are ignored; anything else (descriptors
/// exhausted despite the cap) is logged and accepting pauses briefly.
async fn accept_error(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept error");
    tokio::time::sleep(Duration::from_millis(200)).await;
}
