//! Usage per tenant × capability × UTC day, as JSON or CSV (billing):
//! `GET /v1/admin/usage?tenant=&from=&to=` (admin token, one tenant or all) and
//! `GET /v1/usage?from=&to=` (an API key: its own tenant only). CSV with
//! `Accept: text/csv` or `format=csv`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use phoneguard_core::ops::{UsageRow, usage_report};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Admin, Caller};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Longest range of one report, in days.
pub const MAX_DAYS: i64 = 366;
/// Days of a report when `from` is not given.
const DEFAULT_DAYS: i64 = 31;

/// `/v1/admin/usage`, `/v1/usage`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_admin_usage))
        .routes(routes!(get_own_usage))
}

/// Query of `GET /v1/admin/usage` and of `GET /v1/usage` (where `tenant`
/// may only name the caller's own tenant).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// A tenant id; unset: every tenant (admin) or the caller's own.
    #[serde(default)]
    tenant: Option<String>,
    /// First day, YYYY-MM-DD (UTC); the 31 days up to `to` by default.
    #[serde(default)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC); default today; at most 366 days after `from`.
    #[serde(default)]
    to: Option<String>,
    /// `json` (default) or `csv` (also with `Accept: text/csv`).
    #[serde(default)]
    format: Option<String>,
}

fn parse_day(name: &str, v: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid_field(
            name,
            format!(
                "{name} {:?} is not a date; expected YYYY-MM-DD",
                v.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// The days asked for: `to` defaults to today (UTC), `from` to 30 days before it.
fn days(q: &UsageQuery) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let to = match &q.to {
        Some(v) => parse_day("to", v)?,
        None => Utc::now().date_naive(),
    };
    let from = match &q.from {
        Some(v) => parse_day("from", v)?,
        None => to - chrono::Days::new(DEFAULT_DAYS as u64 - 1),
    };
    if from > to {
        return Err(ApiError::invalid_field(
            "from",
            format!("from {from} is after to {to}"),
        ));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(ApiError::invalid_field(
            "to",
            format!("the range {from} to {to} is longer than {MAX_DAYS} days"),
        ));
    }
    Ok((from, to))
}

fn wants_csv(q: &UsageQuery, headers: &HeaderMap) -> Result<bool, ApiError> {
    match q.format.as_deref() {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        Some(other) => {
            return Err(ApiError::invalid_field(
                "format",
                format!(
                    "format {:?} is not one of json, csv",
                    other.chars().take(20).collect::<String>()
                ),
            ));
        }
        None => {}
    }
    Ok(headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv")))
}

/// A CSV field, quoted when it needs to be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(rows: &[UsageRow], from: NaiveDate, to: NaiveDate) -> Response {
    let mut out =
        String::from("tenant_id,day,capability,calls,billable_calls,supplier_calls,cost_milli\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            csv_field(&r.tenant_id),
            r.day,
            r.capability,
            r.calls,
            r.billable_calls,
            r.supplier_calls,
            r.cost_milli
        ));
    }
    let mut resp = out.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"usage-{from}-{to}.csv\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// One row of a usage report: a tenant, capability and UTC day.
#[derive(Serialize, ToSchema)]
pub struct UsageRowOut {
    /// Tenant.
    tenant_id: String,
    /// UTC day.
    day: NaiveDate,
    /// Capability code.
    capability: String,
    /// Calls admitted (a batch counts each number).
    calls: i64,
    /// Calls answered successfully.
    billable_calls: i64,
    /// Successful supplier calls made for them.
    supplier_calls: i64,
    /// What those supplier calls cost, milli-yuan (厘).
    cost_milli: i64,
}

impl From<UsageRow> for UsageRowOut {
    fn from(r: UsageRow) -> Self {
        UsageRowOut {
            tenant_id: r.tenant_id,
            day: r.day,
            capability: r.capability,
            calls: r.calls,
            billable_calls: r.billable_calls,
            supplier_calls: r.supplier_calls,
            cost_milli: r.cost_milli,
        }
    }
}

/// The sums of a report's rows.
#[derive(Serialize, ToSchema)]
pub struct UsageTotalsOut {
    /// Calls admitted.
    calls: i64,
    /// Calls answered successfully.
    billable_calls: i64,
    /// Successful supplier calls.
    supplier_calls: i64,
    /// What the supplier calls cost, milli-yuan.
    cost_milli: i64,
}

/// Usage per tenant, capability and day, with totals.
#[derive(Serialize, ToSchema)]
pub struct UsageOut {
    /// The tenant asked for; `null`: every tenant.
    tenant: Option<String>,
    /// First day (UTC).
    from: NaiveDate,
    /// Last day (UTC).
    to: NaiveDate,
    /// Sums over the range.
    totals: UsageTotalsOut,
    /// One row per tenant, capability and day.
    usage: Vec<UsageRowOut>,
}

async fn report(
    s: &AppState,
    tenant: Option<&str>,
    q: &UsageQuery,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let (from, to) = days(q)?;
    let as_csv = wants_csv(q, headers)?;
    // Counts still in memory and call records still queued go in first.
    s.usage.flush().await?;
    s.suppliers.router().flush_records().await;
    let store = s.store();
    let counts = store.usage(tenant, from, to).await?;
    let costs = store.supplier_costs(tenant, from, to).await?;
    let rows = usage_report(&counts, &costs);
    if as_csv {
        return Ok(csv(&rows, from, to));
    }
    let total = |f: fn(&UsageRow) -> i64| rows.iter().map(f).sum::<i64>();
    let totals = UsageTotalsOut {
        calls: total(|r| r.calls),
        billable_calls: total(|r| r.billable_calls),
        supplier_calls: total(|r| r.supplier_calls),
        cost_milli: total(|r| r.cost_milli),
    };
    Ok(Json(UsageOut {
        tenant: tenant.map(str::to_string),
        from,
        to,
        totals,
        usage: rows.into_iter().map(UsageRowOut::from).collect(),
    })
    .into_response())
}

#[utoipa::path(get, path = "/v1/admin/usage", tag = "admin",
    security(("admin_token" = [])),
    params(UsageQuery),
    responses(
        (status = 200, description = "Usage per tenant, capability and day.", content(
            (UsageOut = "application/json"),
            (String = "text/csv"),
        )),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn get_admin_usage(
    _: Admin,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Response, ApiError> {
    if let Some(t) = &q.tenant
        && s.store().get_tenant(t).await?.is_none()
    {
        return Err(ApiError::invalid_field(
            "tenant",
            format!("tenant {t} not found"),
        ));
    }
    report(&s, q.tenant.as_deref(), &q, &headers).await
}

#[utoipa::path(get, path = "/v1/usage", tag = "admin",
    security(("api_key" = [])),
    params(UsageQuery),
    responses(
        (status = 200, description = "Usage per tenant, capability and day.", content(
            (UsageOut = "application/json"),
            (String = "text/csv"),
        )),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
    ))]
async fn get_own_usage(
    Caller(caller): Caller,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Response, ApiError> {
    if q.tenant.as_ref().is_some_and(|t| *t != caller.tenant_id) {
        return Err(ApiError::forbidden(
            "an API key reads the usage of its own tenant only",
        ));
    }
    report(&s, Some(&caller.tenant_id), &q, &headers).await
}
