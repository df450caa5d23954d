//! HTTP adapter: routes per area, auth extractors, problem+json errors, metrics.
//!
//! [`serve`] takes a bound listener and a shutdown future, so tests bind port 0 and
//! run many servers side by side.
#![forbid(unsafe_code)]

pub mod audit;
pub mod auth;
pub mod body_wait;
pub mod dashboard;
pub mod edge;
pub mod error;
pub mod extract;
pub mod guard;
pub mod limits;
pub mod listen;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod time;

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

pub use error::ApiError;
pub use state::{AppState, Inner};

/// Latency buckets (seconds) for every `…_duration_seconds` histogram.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process-wide Prometheus recorder (installed once, shared by every server
/// in the process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), BUCKETS)
                .expect("buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            telemetry::describe();
            // Another recorder may be installed already (a test harness); metrics then go there.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The whole HTTP application.
pub fn app(state: AppState, request_timeout: Duration) -> Router {
    let max_body = state.max_body_bytes;
    let (api, doc) = routes::router().split_for_parts();
    Router::new()
        .merge(api)
        .merge(openapi::router(openapi::document(doc)))
        .merge(dashboard::router())
        .merge(routes::aliyun_front::router())
        .fallback(middleware::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::meter,
        ))
        .layer(edge::EdgeLayer::new(request_timeout, max_body))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes in-flight
/// requests (see [`listen`] for timeouts and the connection cap).
pub async fn serve(
    state: AppState,
    config: listen::ListenConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::serve(
        app(state, config.request_timeout),
        config,
        listener,
        shutdown,
    )
    .await
}
