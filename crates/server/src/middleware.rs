//! problem+json for every error response, and the router's fallback (see
//! [`crate::edge`] for the layer that calls them).

use axum::body::{Body, to_bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::error::{PROBLEM_JSON, Problem, ProblemCode, ProblemExtra};

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
    // The Aliyun-compatible front answers errors in Aliyun's own shape
    // (routes/aliyun_front.rs), which Aliyun's SDKs read.
    if is_problem || resp.headers().contains_key("x-acs-request-id") {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = match to_bytes(body, 4096).await {
        Ok(b) if !b.is_empty() && !status.is_server_error() && status.as_u16() != 413 => {
            String::from_utf8_lossy(&b).into_owned()
        }
        _ => default_detail(status.as_u16()).to_string(),
    };
    let extra = ProblemExtra::default();
    let doc = Problem::new(status, ProblemCode::for_status(status), &text, &extra).to_json();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(doc))
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

/// Answers the router's fallback: 404 problem+json.
pub async fn not_found() -> impl IntoResponse {
    crate::error::ApiError::not_found("no such resource; see /docs for the API")
}
