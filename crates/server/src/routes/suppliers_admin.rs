//! Supplier administration (admin token): `GET|POST /v1/admin/suppliers`,
//! `GET|PATCH|DELETE /v1/admin/suppliers/{id}` (live, no restart) and the call
//! statistics `GET /v1/admin/stats?window=3600`. Credentials are write-only.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use phoneguard_core::suppliers::{SupplierConfig, SupplierPatch};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
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

/// Every supplier, with its live health on this node.
#[utoipa::path(get, path = "/v1/admin/suppliers", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "Every supplier.", body = crate::openapi::admin::SuppliersOut)))]
async fn list_suppliers(
    _: Admin,
    State(s): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(json!({ "suppliers": s.suppliers.list().await? })))
}

/// Adds a supplier; it takes traffic at once, without a restart.
#[utoipa::path(post, path = "/v1/admin/suppliers", tag = "admin", security(("admin_token" = [])),
    request_body = crate::openapi::admin::SupplierIn,
    responses(
        (status = 201, description = "Created (credentials are never echoed).", body = crate::openapi::admin::SupplierOut),
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
    Ok((StatusCode::CREATED, Json(created)))
}

/// A supplier.
#[utoipa::path(get, path = "/v1/admin/suppliers/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Supplier id.")),
    responses(
        (status = 200, description = "The supplier.", body = crate::openapi::admin::SupplierOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn get_supplier(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(s.suppliers.get(&id).await?))
}

/// Changes a supplier live (weight, enabled, carriers, …).
#[utoipa::path(patch, path = "/v1/admin/suppliers/{id}", tag = "admin", security(("admin_token" = [])),
    params(("id" = String, Path, description = "Supplier id.")),
    request_body = crate::openapi::admin::SupplierPatchIn,
    responses(
        (status = 200, description = "The supplier as changed.", body = crate::openapi::admin::SupplierOut),
        (status = 404, response = crate::openapi::problem::NotFound),
    ))]
async fn update_supplier(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SupplierPatch>,
) -> Result<impl IntoResponse, ApiError> {
    let before = s.suppliers.get(&id).await.ok();
    let after = s.suppliers.update(&id, body).await?;
    crate::audit::record(
        &s,
        "supplier.update",
        &id,
        before.as_ref().and_then(crate::audit::state),
        crate::audit::state(&after),
    )
    .await;
    Ok(Json(after))
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

/// Call figures per supplier and per tenant over a window.
#[utoipa::path(get, path = "/v1/admin/stats", tag = "admin", security(("admin_token" = [])),
    params(StatsQuery),
    responses((status = 200, description = "The figures.", body = crate::openapi::admin::StatsOut)))]
async fn get_stats(
    _: Admin,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let window = q.window.unwrap_or(3600);
    if !(1..=90 * 86_400).contains(&window) {
        return Err(ApiError::invalid_field("window", "seconds, 1 to 7776000"));
    }
    s.suppliers.router().flush_records().await;
    let since = Utc::now() - chrono::Duration::seconds(window);
    let store = s.suppliers.store();
    let suppliers: Vec<Value> = store
        .supplier_stats(since)
        .await?
        .into_iter()
        .map(|st| {
            let mut v = json!(st);
            v["health"] = json!(s.suppliers.router().health(&st.supplier_id));
            v
        })
        .collect();
    let mut tenants: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for t in store.tenant_stats(since).await? {
        tenants
            .entry(t.tenant_id)
            .or_default()
            .insert(t.capability, t.calls);
    }
    let tenants: Vec<Value> = tenants
        .into_iter()
        .map(|(id, calls)| json!({"tenant_id": id, "calls": calls}))
        .collect();
    Ok(Json(json!({
        "window_s": window,
        "since": since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "suppliers": suppliers,
        "tenants": tenants,
    })))
}
