//! Cross-cutting layers: problem+json for every error, metrics and the access log.

use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::{PROBLEM_JSON, code_for_status, problem_body};
use crate::telemetry::TenantSlot;

/// Turns any error response that is not already problem+json (rejections of
/// extractors, 404/405 of the router, 413 of the body limit, panics, timeouts)
/// into one, keeping the original text as `detail`.
pub async fn problemize(resp: Response) -> Response {
    let status = resp.status();
    if status.as_u16() < 400 {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = match to_bytes(body, 4096).await {
        Ok(b) if !b.is_empty() && !status.is_server_error() && status.as_u16() != 413 => {
            String::from_utf8_lossy(&b).into_owned()
        }
        _ => default_detail(status.as_u16()).to_string(),
    };
    let doc = problem_body(status, code_for_status(status), &text, &Default::default());
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(doc.to_string()))
}

fn default_detail(status: u16) -> &'static str {
    match status {
        404 => "no such resource; see /docs for the API",
        405 => "this method is not allowed on this path",
        408 | 504 => "the request took too long",
        413 => "the request body is larger than 64 KiB",
        415 => "expected Content-Type: application/json",
        500 => "internal error; quote the x-request-id header when reporting it",
        503 => "the service is temporarily unavailable; retry shortly",
        _ => "the request could not be processed",
    }
}

/// Turns error responses into problem+json (see [`problemize`]), then records
/// `phoneguard_http_requests_total` (by route template, never the raw path,
/// which may hold a phone number; and by tenant) and
/// `phoneguard_http_request_duration_seconds`, and writes one access-log line
/// per request. Everything logged while the request is handled is inside the
/// `request` span, so every line carries its `request_id`.
pub async fn track(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let tenant = TenantSlot::default();
    req.extensions_mut().insert(tenant.clone());
    let span = tracing::info_span!("request", request_id = %request_id);
    let resp = problemize(next.run(req).instrument(span.clone()).await).await;
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    let tenant = tenant.label();
    metrics::counter!("phoneguard_http_requests_total",
        "route" => route.clone(), "method" => method.clone(), "status" => status.to_string(),
        "tenant" => tenant.clone())
    .increment(1);
    metrics::histogram!("phoneguard_http_request_duration_seconds",
        "route" => route.clone(), "method" => method.clone())
    .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(target: "phoneguard::access", method = %method, route = %route,
            status, tenant = %tenant, latency_us = elapsed.as_micros() as u64, "request");
    });
    resp
}

/// Answers the router's fallback: 404 problem+json.
pub async fn not_found() -> impl IntoResponse {
    crate::error::ApiError::not_found("no such resource; see /docs for the API")
}
