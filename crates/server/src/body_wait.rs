//! Tells a request that timed out waiting for its client (the body stalled:
//! 408) from one that timed out in the server (503). See [`crate::edge`].

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};

/// Set while the handler waits for body bytes the client has not sent.
#[derive(Debug, Clone, Default)]
pub struct Waiting(Arc<AtomicBool>);

impl Waiting {
    /// Whether the handler is waiting on the client right now.
    pub fn now(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Wraps `body` so that `Waiting` follows its reads; gives it back unchanged
/// when it is already complete (nothing to wait for, nothing allocated).
pub fn watch(body: Body) -> Result<(Body, Waiting), Body> {
    if body.is_end_stream() {
        return Err(body);
    }
    let waiting = Waiting::default();
    let watched = Watched {
        inner: body,
        waiting: waiting.clone(),
    };
    Ok((Body::new(watched), waiting))
}

struct Watched {
    inner: Body,
    waiting: Waiting,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        self.waiting.0.store(polled.is_pending(), Ordering::Relaxed);
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
