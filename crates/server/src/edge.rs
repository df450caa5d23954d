//! The one layer every request passes: request id, panics, timeout,
//! problem+json for errors, metrics by route template and the access log.
//!
//! It does in one boxed future what five stacked layers did before
//! (`SetRequestId` + `PropagateRequestId` + `track` + `CatchPanic` + `Timeout`).
//! Each `Router::layer` wraps every route in one more boxed service that is
//! cloned per request, so one layer instead of five saves allocations and
//! dynamic calls on every request. The timeout only reaches the timer wheel
//! when a handler does not finish at its first poll, and the metric handles
//! are resolved once per (route, method, status) and worker thread.

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use metrics::{Counter, Histogram};
use tower::{Layer, Service};
use tracing::Instrument;

use crate::body_wait::{self, Waiting};
use crate::error::ApiError;
use crate::middleware::problemize;
use crate::telemetry::TenantSlot;

/// The request id header, read from the request or generated, and always answered.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Applies [`Edge`] with a request timeout (503 when it passes, 408 when the
/// request was waiting for its body) and the
/// extractors' body limit (413 above it).
#[derive(Debug, Clone, Copy)]
pub struct EdgeLayer {
    timeout: Duration,
    body_limit: DefaultBodyLimit,
}

impl EdgeLayer {
    /// Requests still running after `timeout` are answered 503; bodies over
    /// `max_body_bytes` are refused by the extractors.
    pub fn new(timeout: Duration, max_body_bytes: usize) -> Self {
        EdgeLayer {
            timeout,
            body_limit: DefaultBodyLimit::max(max_body_bytes),
        }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<<DefaultBodyLimit as Layer<S>>::Service>;
    fn layer(&self, inner: S) -> Self::Service {
        // Composed here, not as one more `Router::layer`: no extra boxing.
        Edge {
            inner: self.body_limit.layer(inner),
            timeout: self.timeout,
        }
    }
}

/// See the [module](self) documentation.
#[derive(Debug, Clone)]
pub struct Edge<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let start = Instant::now();
        let (mut req, body_wait) = watch_body(req);
        let id = match req.headers().get(&REQUEST_ID) {
            Some(given) if acceptable_request_id(given) => given.clone(),
            _ => {
                let id = new_request_id();
                req.headers_mut().insert(REQUEST_ID.clone(), id.clone());
                id
            }
        };
        let route = req.extensions().get::<MatchedPath>().cloned();
        let method = req.method().clone();
        let twilio_wire = req.uri().path().starts_with("/v2/");
        let timeout = self.timeout;
        // The auth extractors note the tenant here, for the request metrics.
        let tenant = TenantSlot::default();
        req.extensions_mut().insert(tenant.clone());
        // Everything logged while the request is handled carries its id.
        let span = tracing::info_span!("request", request_id = %id.to_str().unwrap_or("-"));
        // A panic while building the future is caught like one while polling it.
        let inner =
            span.in_scope(|| std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(req))));
        let traced = span.clone();
        Box::pin(async move {
            let resp = match inner {
                Ok(fut) => {
                    let fut = AssertUnwindSafe(fut).catch_unwind().instrument(traced);
                    match tokio::time::timeout(timeout, fut).await {
                        Ok(Ok(Ok(resp))) => resp,
                        Ok(Ok(Err(never))) => match never {},
                        Ok(Err(_panic)) => bare(StatusCode::INTERNAL_SERVER_ERROR),
                        Err(_elapsed) => timed_out(timeout, body_wait.as_ref()),
                    }
                }
                Err(_panic) => bare(StatusCode::INTERNAL_SERVER_ERROR),
            };
            let mut resp = if twilio_wire {
                crate::routes::twilio::wire_error(resp).await
            } else {
                problemize(resp).await
            };
            if !resp.headers().contains_key(&REQUEST_ID) {
                resp.headers_mut().insert(REQUEST_ID.clone(), id);
            }
            let elapsed = start.elapsed();
            let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
            let status = resp.status().as_u16();
            let tenant = tenant.label();
            record(route, &method, status, &tenant, elapsed);
            span.in_scope(|| {
                tracing::info!(target: "phoneguard::access", method = %method, route = %route,
                    status, tenant = %tenant, latency_us = elapsed.as_micros() as u64, "request");
            });
            Ok(resp)
        })
    }
}

/// An empty response with this status (made problem+json by [`problemize`]).
fn bare(status: StatusCode) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp
}

/// The request with its body watched (see [`crate::body_wait`]).
fn watch_body(req: Request) -> (Request, Option<Waiting>) {
    let (parts, body) = req.into_parts();
    match body_wait::watch(body) {
        Ok((body, waiting)) => (Request::from_parts(parts, body), Some(waiting)),
        Err(body) => (Request::from_parts(parts, body), None),
    }
}

/// The answer when `timeout` passed: 408 if the handler was waiting for body
/// bytes the client did not send (the connection is then closed, the body
/// being half read), else 503.
fn timed_out(timeout: Duration, body: Option<&Waiting>) -> Response {
    if !body.is_some_and(Waiting::now) {
        return bare(StatusCode::SERVICE_UNAVAILABLE);
    }
    let detail = format!(
        "the request body did not arrive within {} s (http.request_timeout_s)",
        timeout.as_secs_f64()
    );
    let mut resp = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        crate::error::ProblemCode::RequestTimeout,
        detail,
    )
    .into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Whether a client's `x-request-id` is kept: 1 to 64 characters of
/// `A-Z a-z 0-9 . _ : -`. Anything else (spaces and quotes that would forge a
/// field of a text log line, or a 30 KB id) is replaced by a new id.
fn acceptable_request_id(given: &HeaderValue) -> bool {
    let b = given.as_bytes();
    (1..=64).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-'))
}

/// A random (v4) UUID, hyphenated, as generated ids always were.
pub(crate) fn new_request_id() -> HeaderValue {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static("-"))
}

/// Metric handles of one route for one method, status and tenant.
struct Handles {
    method: Method,
    status: u16,
    tenant: String,
    requests: Counter,
    duration: Histogram,
}

/// Most (method, status, tenant) triples cached per route; beyond, handles are
/// looked up each time, so odd methods or many tenants cannot grow the cache.
const MAX_PER_ROUTE: usize = 64;

thread_local! {
    /// Route template → handles, per worker thread: no lock, no label `String`s per request.
    static HANDLES: RefCell<HashMap<Box<str>, Vec<Handles>>> = RefCell::new(HashMap::new());
}

/// Records `phoneguard_http_requests_total` (route, method, status, tenant) and
/// `phoneguard_http_request_duration_seconds` (route, method).
fn record(route: &str, method: &Method, status: u16, tenant: &str, elapsed: Duration) {
    HANDLES.with_borrow_mut(|routes| {
        let list = match routes.get_mut(route) {
            Some(list) => list,
            None => routes.entry(route.into()).or_default(),
        };
        let at = list
            .iter()
            .position(|h| h.status == status && h.method == *method && h.tenant == tenant);
        let handles = match at {
            Some(at) => &list[at],
            None => {
                let fresh = resolve(route, method, status, tenant);
                if list.len() >= MAX_PER_ROUTE {
                    fresh.requests.increment(1);
                    fresh.duration.record(elapsed.as_secs_f64());
                    return;
                }
                list.push(fresh);
                &list[list.len() - 1]
            }
        };
        handles.requests.increment(1);
        handles.duration.record(elapsed.as_secs_f64());
    });
}

fn resolve(route: &str, method: &Method, status: u16, tenant: &str) -> Handles {
    let (r, m) = (route.to_owned(), method.as_str().to_owned());
    Handles {
        method: method.clone(),
        status,
        tenant: tenant.to_owned(),
        requests: metrics::counter!("phoneguard_http_requests_total",
            "route" => r.clone(), "method" => m.clone(), "status" => status.to_string(),
            "tenant" => tenant.to_owned()),
        duration: metrics::histogram!("phoneguard_http_request_duration_seconds",
            "route" => r, "method" => m),
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::to_bytes;
    use axum::routing::{get, post};
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    async fn boom() -> &'static str {
        panic!("a handler panicked on purpose")
    }

    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "late"
    }

    fn app() -> Router {
        Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/panic", get(boom))
            .route("/slow", get(slow))
            .route("/echo", post(|body: String| async move { body }))
            .layer(EdgeLayer::new(Duration::from_millis(100), 16))
    }

    async fn call(req: Request) -> (StatusCode, Option<String>, String, String) {
        let resp = app().oneshot(req).await.unwrap();
        let header = |name: &HeaderName| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        };
        let (id, ct) = (
            header(&REQUEST_ID),
            header(&axum::http::header::CONTENT_TYPE),
        );
        let status = resp.status();
        let body = to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        (status, id, ct.unwrap_or_default(), body)
    }

    fn req(method: &str, path: &str, body: impl Into<Body>) -> Request {
        axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(body.into())
            .unwrap()
    }

    fn get_req(path: &str) -> Request {
        req("GET", path, Body::empty())
    }

    #[tokio::test]
    async fn a_request_id_is_generated_or_the_given_one_kept() {
        let (status, id, _, body) = call(get_req("/ok")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
        let id = id.expect("x-request-id answered");
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        let (_, other, _, _) = call(get_req("/ok")).await;
        assert_ne!(other.as_deref(), Some(id.as_str()), "ids differ");
        let mut given = get_req("/ok");
        given
            .headers_mut()
            .insert(REQUEST_ID.clone(), HeaderValue::from_static("trace-7"));
        assert_eq!(call(given).await.1.as_deref(), Some("trace-7"));
    }

    #[tokio::test]
    async fn a_request_id_that_could_forge_a_log_line_or_is_huge_is_replaced() {
        let long = "a".repeat(30_000);
        for bad in [
            "x\" level=ERROR msg=\"forged",
            "has space",
            "",
            long.as_str(),
            &"b".repeat(65),
        ] {
            let mut req = get_req("/ok");
            req.headers_mut()
                .insert(REQUEST_ID.clone(), HeaderValue::from_str(bad).unwrap());
            let (status, id, _, _) = call(req).await;
            assert_eq!(status, StatusCode::OK);
            let id = id.expect("x-request-id answered");
            assert_ne!(id, bad);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{bad:.40} gave {id}");
        }
        let mut edge = get_req("/ok");
        let sixty_four = "c".repeat(64);
        edge.headers_mut().insert(
            REQUEST_ID.clone(),
            HeaderValue::from_str(&sixty_four).unwrap(),
        );
        assert_eq!(call(edge).await.1.as_deref(), Some(sixty_four.as_str()));
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_a_500_problem_with_a_request_id() {
        let (status, id, ct, body) = call(get_req("/panic")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(id.is_some());
        assert_eq!(ct, "application/problem+json");
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["code"], "internal", "{doc}");
        assert!(
            !body.contains("on purpose"),
            "the panic message stays out: {body}"
        );
    }

    #[tokio::test]
    async fn a_handler_slower_than_the_timeout_answers_a_503_problem() {
        let (status, id, ct, body) = call(get_req("/slow")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(id.is_some());
        assert_eq!(ct, "application/problem+json");
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["code"], "unavailable", "{doc}");
    }

    #[tokio::test]
    async fn a_body_the_client_stops_sending_answers_a_408_problem_and_closes() {
        let stalled = futures::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
        let resp = app()
            .oneshot(req("POST", "/echo", Body::from_stream(stalled)))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(resp.headers()[header::CONNECTION], "close");
        let body = to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        let doc: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["code"], "request_timeout", "{doc}");
        assert!(doc["detail"].as_str().unwrap().contains("body"), "{doc}");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_with_a_413_problem() {
        let big = req("POST", "/echo", "x".repeat(17));
        let (status, _, ct, body) = call(big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert_eq!(ct, "application/problem+json");
        let small = req("POST", "/echo", "x".repeat(16));
        assert_eq!(call(small).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn an_unmatched_path_gets_the_fallback_404_with_a_request_id() {
        let app = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .fallback(crate::middleware::not_found)
            .layer(EdgeLayer::new(Duration::from_secs(1), 16));
        let resp = app.oneshot(get_req("/nope")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert!(resp.headers().contains_key(&REQUEST_ID));
    }
}
