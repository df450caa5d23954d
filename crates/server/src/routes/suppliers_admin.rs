//! Supplier administration (admin token): `GET|POST /v1/admin/suppliers`,
//! `GET|PATCH|DELETE /v1/admin/suppliers/{id}` (live, no restart) and the call
//! statistics `GET /v1/admin/stats?window=3600`. Credentials are write-only.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use phoneguard_core::suppliers::{CallStats, Capability, SupplierConfig, SupplierPatch};
use phoneguard_suppliers::registry::SupplierView;
use phoneguard_suppliers::router::RouteHealth;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

/// `/v1/admin/suppliers…`, `/v1/admin/stats`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_suppliers, create_supplier))
        .routes(routes!(get_supplier, update_supplier, delete_supplier))
        .routes(routes!(get_stats))
}

/// Breaker and health of a supplier on this node.
#[derive(Serialize, ToSchema)]
pub struct RouteHealthOut {
    /// `closed`, `open` or `half_open`.
    breaker: &'static str,
    /// Calls in the window.
    window_calls: u64,
    /// Smoothed success rate of the window, `(successes + 1) / (calls + 2)`;
    /// `null` while the window holds no call.
    success_rate: Option<f64>,
    /// Median latency over the window (ms); `null` while the window holds no call.
    p50_ms: Option<f64>,
}

impl From<RouteHealth> for RouteHealthOut {
    fn from(h: RouteHealth) -> Self {
        RouteHealthOut {
            breaker: h.breaker,
            window_calls: h.window_calls as u64,
            success_rate: h.success_rate,
            p50_ms: (h.window_calls > 0).then_some(h.p50_ms),
        }
    }
}

/// A supplier as shown: never its credentials.
#[derive(Serialize, ToSchema)]
pub struct SupplierOut {
    /// Slug.
    id: String,
    /// Adapter kind.
    kind: String,
    /// Capabilities.
    capabilities: Vec<Capability>,
    /// Carriers covered.
    carriers: Vec<String>,
    /// Weight.
    weight: u32,
    /// Price per call, milli-yuan.
    price_milli: u32,
    /// Enabled.
    enabled: bool,
    /// Options.
    options: Value,
    /// Whether credentials are stored.
    has_credentials: bool,
    /// Creation time.
    #[serde(serialize_with = "crate::time::ms")]
    created_at: DateTime<Utc>,
    /// Last change.
    #[serde(serialize_with = "crate::time::ms")]
    updated_at: DateTime<Utc>,
    /// Live breaker and health on this node.
    health: Option<RouteHealthOut>,
}

impl From<SupplierView> for SupplierOut {
    fn from(v: SupplierView) -> Self {
        SupplierOut {
            id: v.id,
            kind: v.kind,
            capabilities: v.capabilities,
            carriers: v.carriers,
            weight: v.weight,
            price_milli: v.price_milli,
            enabled: v.enabled,
            options: v.options,
            has_credentials: v.has_credentials,
            created_at: v.created_at,
            updated_at: v.updated_at,
            health: v.health.map(RouteHealthOut::from),
        }
    }
}

/// Answer of `GET /v1/admin/suppliers`.
#[derive(Serialize, ToSchema)]
pub struct SuppliersOut {
    /// Every supplier.
    suppliers: Vec<SupplierOut>,
}

/// Every supplier, with its live health on this node.
#[utoipa::path(get, path = "/v1/admin/suppliers", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "Every supplier.", body = SuppliersOut)))]
async fn list_suppliers(
    _: Admin,
    State(s): State<AppState>,
) -> Result<Json<SuppliersOut>, ApiError> {
    let suppliers = s.suppliers.list().await?;
    Ok(Json(SuppliersOut {
        suppliers: suppliers.into_iter().map(SupplierOut::from).collect(),
    }))
}

/// Adds a supplier; it takes traffic at once, without a restart.
#[utoipa::path(post, path = "/v1/admin/suppliers", tag = "admin", security(("admin_token" = [])),
    request_body = SupplierConfig,
    responses(
        (status = 201, description = "Created (credentials are never echoed).", body = SupplierOut),
        (status = 409, response = crate::openapi::problem::Conflict),
    ))]
async fn create_supplier(
    _: Admin,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<SupplierConfig>,
) -> Result<impl IntoResponse, ApiError> {
    let created = s.suppliers.create(body).await?;
    crate::audit::record(
        &s,
        "supplier.create",
        &created.id,
        None,
        crate::audit::state(&created),
    )
    .await;
    Ok((StatusCode::CREATED, Json(SupplierOut::from(created))))
}

/// A supplier.
#[utoipa::path(get, path = "/v1/admin/suppliers/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Supplier id.")),
    responses(
        (status = 200, description = "The supplier.", body = SupplierOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_supplier(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SupplierOut>, ApiError> {
    Ok(Json(s.suppliers.get(&id).await?.into()))
}

/// Changes a supplier live (weight, enabled, carriers, …).
///
/// Fields not given are kept; `options` is merged (JSON merge patch, RFC 7396: `null` removes a
/// member), `credentials` are replaced as a whole.
#[utoipa::path(patch, path = "/v1/admin/suppliers/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Supplier id.")),
    request_body = SupplierPatch,
    responses(
        (status = 200, description = "The supplier as changed.", body = SupplierOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn update_supplier(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SupplierPatch>,
) -> Result<Json<SupplierOut>, ApiError> {
    let after = update_audited(&s, crate::audit::ADMIN_ACTOR, &id, body).await?;
    Ok(Json(after.into()))
}

/// Applies `patch` to supplier `id` and records it in the audit log as done
/// by `actor`: the one update path of the admin API and the dashboard.
pub(crate) async fn update_audited(
    s: &AppState,
    actor: &str,
    id: &str,
    patch: SupplierPatch,
) -> Result<SupplierView, ApiError> {
    let before = s.suppliers.get(id).await.ok();
    let after = s.suppliers.update(id, patch).await?;
    crate::audit::record_by(
        s,
        actor,
        "supplier.update",
        id,
        before.as_ref().and_then(crate::audit::state),
        crate::audit::state(&after),
    )
    .await;
    Ok(after)
}

/// Removes a supplier.
#[utoipa::path(delete, path = "/v1/admin/suppliers/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Supplier id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn delete_supplier(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let before = s.suppliers.get(&id).await.ok();
    s.suppliers.delete(&id).await?;
    crate::audit::record(
        &s,
        "supplier.delete",
        &id,
        before.as_ref().and_then(crate::audit::state),
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /v1/admin/stats`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Seconds back from now, 1 to 7,776,000 (90 days); default 3600.
    #[param(minimum = 1, maximum = 7776000, example = 3600)]
    #[serde(default)]
    window: Option<i64>,
}

/// Call figures of one supplier over the window.
#[derive(Serialize, ToSchema)]
pub struct SupplierStatsOut {
    /// Supplier.
    supplier_id: String,
    /// Calls made.
    calls: i64,
    /// Calls answered.
    successes: i64,
    /// Calls failed.
    failures: i64,
    /// Median latency, ms.
    p50_ms: f64,
    /// 95th percentile latency, ms.
    p95_ms: f64,
    /// Money spent, milli-yuan.
    cost_milli: i64,
    /// Live breaker and health on this node.
    health: Option<RouteHealthOut>,
}

impl SupplierStatsOut {
    fn new(st: CallStats, health: Option<RouteHealth>) -> Self {
        SupplierStatsOut {
            supplier_id: st.supplier_id,
            calls: st.calls,
            successes: st.successes,
            failures: st.failures,
            p50_ms: st.p50_ms,
            p95_ms: st.p95_ms,
            cost_milli: st.cost_milli,
            health: health.map(RouteHealthOut::from),
        }
    }
}

/// Calls of one tenant by capability.
#[derive(Serialize, ToSchema)]
pub struct TenantStatsOut {
    /// Tenant.
    tenant_id: String,
    /// Capability code → calls.
    calls: BTreeMap<String, i64>,
}

/// Answer of `GET /v1/admin/stats`.
#[derive(Serialize, ToSchema)]
pub struct StatsOut {
    /// The window in seconds.
    window_s: i64,
    /// Its start (whole seconds).
    #[schema(value_type = DateTime<Utc>)]
    since: String,
    /// Per supplier.
    suppliers: Vec<SupplierStatsOut>,
    /// Per tenant.
    tenants: Vec<TenantStatsOut>,
}

/// Call figures per supplier and per tenant over a window.
#[utoipa::path(get, path = "/v1/admin/stats", tag = "admin", security(("admin_token" = [])),
    params(StatsQuery),
    responses((status = 200, description = "The figures.", body = StatsOut)))]
async fn get_stats(
    _: Admin,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Json<StatsOut>, ApiError> {
    let window = q.window.unwrap_or(3600);
    if !(1..=90 * 86_400).contains(&window) {
        return Err(ApiError::invalid_field("window", "seconds, 1 to 7776000"));
    }
    s.suppliers.router().flush_records().await;
    let since = Utc::now() - chrono::Duration::seconds(window);
    let store = s.suppliers.store();
    let suppliers = store
        .supplier_stats(since)
        .await?
        .into_iter()
        .map(|st| {
            let health = s.suppliers.router().health(&st.supplier_id);
            SupplierStatsOut::new(st, health)
        })
        .collect();
    let mut tenants: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for t in store.tenant_stats(since).await? {
        tenants
            .entry(t.tenant_id)
            .or_default()
            .insert(t.capability, t.calls);
    }
    let tenants = tenants
        .into_iter()
        .map(|(tenant_id, calls)| TenantStatsOut { tenant_id, calls })
        .collect();
    Ok(Json(StatsOut {
        window_s: window,
        since: since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        suppliers,
        tenants,
    }))
}
