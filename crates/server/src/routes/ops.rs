//! Operations: liveness, readiness, metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::guard::MetricsReader;
use crate::state::AppState;

/// `/healthz`, `/readyz`, `/metrics`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_healthz))
        .routes(routes!(get_readyz))
        .routes(routes!(get_metrics))
}

/// Answer of `GET /healthz`.
#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    /// `ok`.
    status: &'static str,
    /// Seconds since start.
    uptime_s: u64,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "The process is up.", body = HealthOut,
        example = json!({"status": "ok", "uptime_s": 42}))))]
async fn get_healthz(State(state): State<AppState>) -> Json<HealthOut> {
    Json(HealthOut {
        status: "ok",
        uptime_s: state.started.elapsed().as_secs(),
    })
}

/// Answer of `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub struct ReadyOut {
    /// `ready`.
    status: &'static str,
    /// `ok`.
    storage: &'static str,
}

/// Storage answers.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses(
        (status = 200, description = "The database answers.", body = ReadyOut,
            example = json!({"status": "ready", "storage": "ok"})),
        (status = 503, response = crate::openapi::problem::StorageUnavailable),
    ))]
async fn get_readyz(State(state): State<AppState>) -> Result<Json<ReadyOut>, ApiError> {
    match state.store().ping().await {
        Ok(()) => Ok(Json(ReadyOut {
            status: "ready",
            storage: "ok",
        })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::storage_unavailable())
        }
    }
}

/// Prometheus text exposition.
///
/// Needs `metrics.token` or the admin token as a bearer token unless
/// `metrics.public = true` (labels name tenants and suppliers).
#[utoipa::path(get, path = "/metrics", tag = "ops",
    security(("metrics_token" = []), ("admin_token" = [])),
    responses((status = 200, description = "Every series is named `phoneguard_…`; labels are route \
        templates, tenant ids, supplier ids and codes, never numbers, keys or raw paths.",
        body = String, content_type = "text/plain; version=0.0.4")))]
async fn get_metrics(_: MetricsReader, State(state): State<AppState>) -> impl IntoResponse {
    crate::telemetry::refresh_gauges(&state);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
