//! Overview, verifications, tenants and usage pages.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use chrono::Utc;
use maud::{Markup, html};
use phoneguard_core::suppliers::TenantCapabilityCount;

use super::PageQuery;
use super::charts::{self, Series};
use super::data::{Buckets, ROW_LIMIT, calls_by_capability};
use super::session::Session;
use super::view::{self, chart, pct, table};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// `GET /dashboard`: calls per capability over time, error rate, p95 latency.
pub async fn get_overview(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Markup, ApiError> {
    let ctx = q.ctx(&headers, &session)?;
    let lang = ctx.lang;
    s.suppliers.router().flush_records().await;
    let b = Buckets::new(ctx.window, Utc::now());
    let points = s.store().call_points(b.since, ROW_LIMIT).await?;
    let by_cap = calls_by_capability(&points, &b);
    let funnel = s.store().funnel_by_channel(b.since).await?;
    let started: i64 = funnel.iter().map(|f| f.started).sum();
    let total: i64 = by_cap.values().map(|c| c.total).sum();
    let failed: i64 = by_cap.values().map(|c| c.failed).sum();
    let labels = b.labels();
    let calls: Vec<Series> = by_cap
        .iter()
        .map(|(cap, c)| Series {
            name: cap.clone(),
            values: c.calls.clone(),
        })
        .collect();
    let errors: Vec<Series> = by_cap
        .iter()
        .map(|(cap, c)| Series {
            name: cap.clone(),
            values: c
                .calls
                .iter()
                .zip(&c.errors)
                .map(|(n, e)| if *n > 0.0 { e * 100.0 / n } else { 0.0 })
                .collect(),
        })
        .collect();
    let p95: Vec<Series> = by_cap
        .iter()
        .map(|(cap, c)| Series {
            name: cap.clone(),
            values: c.p95_ms.clone(),
        })
        .collect();
    let rows = by_cap
        .iter()
        .map(|(cap, c)| {
            vec![
                cap.clone(),
                c.total.to_string(),
                pct(c.failed, c.total),
                format!("{:.1}", c.p95_total_ms),
            ]
        })
        .collect();
    let body = html! {
        div.tiles {
            div.tile { span.muted { (lang.t("calls")) } b id="total-calls" { (total) } }
            div.tile { span.muted { (lang.t("error_rate")) } b { (pct(failed, total)) } }
            div.tile { span.muted { (lang.t("verifications_started")) } b id="verifications-started" { (started) } }
        }
        @if points.len() as i64 >= ROW_LIMIT { p.muted { (lang.t("sampled")) } }
        div.grid {
            (chart(charts::lines(lang.t("calls_over_time"), &labels, &calls)))
            (chart(charts::lines(lang.t("errors_over_time"), &labels, &errors)))
            (chart(charts::lines(lang.t("latency_over_time"), &labels, &p95)))
            div.card { (table(lang, &["capability", "calls", "error_rate", "p95"], 1, rows)) }
        }
    };
    Ok(view::page(&ctx, "/dashboard", "overview", body))
}

/// `GET /dashboard/verifications`: started → delivered → approved by channel
/// and supplier, failovers taken.
pub async fn get_verifications(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Markup, ApiError> {
    let ctx = q.ctx(&headers, &session)?;
    let lang = ctx.lang;
    let since = Buckets::new(ctx.window, Utc::now()).since;
    let by_channel = s.store().funnel_by_channel(since).await?;
    let by_supplier = s.store().funnel_by_supplier(since).await?;
    let cats: Vec<String> = by_channel.iter().map(|f| f.channel.clone()).collect();
    let series = vec![
        Series {
            name: lang.t("started").into(),
            values: by_channel.iter().map(|f| f.started as f64).collect(),
        },
        Series {
            name: lang.t("delivered").into(),
            values: by_channel.iter().map(|f| f.delivered as f64).collect(),
        },
        Series {
            name: lang.t("approved").into(),
            values: by_channel.iter().map(|f| f.approved as f64).collect(),
        },
    ];
    let channel_rows = by_channel
        .iter()
        .map(|f| {
            vec![
                f.channel.clone(),
                f.started.to_string(),
                f.delivered.to_string(),
                f.approved.to_string(),
                pct(f.approved, f.started),
            ]
        })
        .collect();
    let supplier_rows = by_supplier
        .iter()
        .map(|f| {
            vec![
                f.supplier_id.clone(),
                f.channel.clone(),
                f.sent.to_string(),
                f.delivered.to_string(),
                f.entered.to_string(),
                f.failovers.to_string(),
            ]
        })
        .collect();
    let body = html! {
        div.grid {
            (chart(charts::bars(lang.t("funnel_channel"), &cats, &series)))
            div.card id="funnel-channel" {
                h2 { (lang.t("funnel_channel")) }
                (table(lang, &["channel", "started", "delivered", "approved", "approval_rate"], 1, channel_rows))
            }
        }
        div.card id="funnel-supplier" {
            h2 { (lang.t("funnel_supplier")) }
            (table(lang, &["supplier", "channel", "sent", "delivered", "entered", "failovers"], 2, supplier_rows))
        }
    };
    Ok(view::page(
        &ctx,
        "/dashboard/verifications",
        "verifications",
        body,
    ))
}

/// `GET /dashboard/tenants`: tenants and their keys (hints only, never a secret).
pub async fn get_tenants(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Markup, ApiError> {
    let ctx = q.ctx(&headers, &session)?;
    let lang = ctx.lang;
    let mut rows = vec![];
    for t in s.store().list_tenants().await? {
        for k in s.store().list_api_keys(&t.id).await? {
            rows.push(vec![
                t.name.clone(),
                t.id.clone(),
                phoneguard_core::twilio::account_sid(&t.id),
                k.id.clone(),
                k.mode.as_str().to_string(),
                k.hint.clone(),
                k.created_at.format("%Y-%m-%d %H:%M").to_string(),
                match k.revoked_at {
                    Some(r) => format!("{} {}", lang.t("revoked"), r.format("%Y-%m-%d %H:%M")),
                    None => lang.t("active").to_string(),
                },
            ]);
        }
    }
    let body = html! {
        div.card id="tenants" {
            (table(lang, &["name", "tenant", "account_sid", "keys", "mode", "hint", "created", "status"], 8, rows))
        }
    };
    Ok(view::page(&ctx, "/dashboard/tenants", "tenants", body))
}

/// The usage figures of a window. The one place the usage page reads its data:
/// today the supplier call records; switch here to the usage records.
async fn usage_rows(
    s: &AppState,
    since: chrono::DateTime<Utc>,
) -> Result<Vec<TenantCapabilityCount>, ApiError> {
    s.suppliers.router().flush_records().await;
    Ok(s.store().tenant_stats(since).await?)
}

/// `GET /dashboard/usage`: calls by tenant and capability.
pub async fn get_usage(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Markup, ApiError> {
    let ctx = q.ctx(&headers, &session)?;
    let lang = ctx.lang;
    let since = Buckets::new(ctx.window, Utc::now()).since;
    let usage = usage_rows(&s, since).await?;
    let names: BTreeMap<String, String> = s
        .store()
        .list_tenants()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let caps: Vec<String> = usage
        .iter()
        .map(|u| u.capability.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut by_tenant: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
    for u in &usage {
        by_tenant
            .entry(u.tenant_id.as_str())
            .or_default()
            .insert(u.capability.as_str(), u.calls);
    }
    let tenants: Vec<String> = by_tenant
        .keys()
        .map(|t| names.get(*t).cloned().unwrap_or_else(|| t.to_string()))
        .collect();
    let series: Vec<Series> = caps
        .iter()
        .map(|c| Series {
            name: c.clone(),
            values: by_tenant
                .values()
                .map(|m| *m.get(c.as_str()).unwrap_or(&0) as f64)
                .collect(),
        })
        .collect();
    let rows = usage
        .iter()
        .map(|u| {
            vec![
                names.get(&u.tenant_id).cloned().unwrap_or_default(),
                u.tenant_id.clone(),
                u.capability.clone(),
                u.calls.to_string(),
            ]
        })
        .collect();
    let body = html! {
        div.grid {
            (chart(charts::bars(lang.t("usage_by_tenant"), &tenants, &series)))
            div.card id="usage" { (table(lang, &["name", "tenant", "capability", "calls"], 3, rows)) }
        }
    };
    Ok(view::page(&ctx, "/dashboard/usage", "usage", body))
}
