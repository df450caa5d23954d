//! Suppliers page: health, breaker, success rate, latency, conversion per
//! carrier, price; a weight / enable change is shown for confirmation first,
//! then applied through the admin update path (routing follows at once).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use maud::{Markup, html};
use phoneguard_core::suppliers::SupplierPatch;

use super::PageQuery;
use super::charts::{self, Series};
use super::data::Buckets;
use super::form::Form;
use super::session::{Session, see_other};
use super::view::{self, Ctx, chart, pct, table};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// `GET /dashboard/suppliers`.
pub async fn get_suppliers(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Markup, ApiError> {
    let ctx = q.ctx(&headers, &session)?;
    let lang = ctx.lang;
    s.suppliers.router().flush_records().await;
    let since = Buckets::new(ctx.window, Utc::now()).since;
    let list = s.suppliers.list().await?;
    let stats = s.store().supplier_stats(since).await?;
    let conversion = s.store().conversion_by_carrier(since).await?;
    let ids: Vec<String> = stats.iter().map(|st| st.supplier_id.clone()).collect();
    let series = vec![
        Series {
            name: lang.t("successes").into(),
            values: stats.iter().map(|st| st.successes as f64).collect(),
        },
        Series {
            name: lang.t("failures").into(),
            values: stats.iter().map(|st| st.failures as f64).collect(),
        },
    ];
    let body = html! {
        @if let Some(id) = &q.updated {
            p.note id="updated" { (lang.t("updated")) " " b { (id) } }
        }
        div.card {
            table id="suppliers" {
                thead { tr {
                    th { (lang.t("supplier")) } th { (lang.t("kind")) } th { (lang.t("capability")) }
                    th { (lang.t("breaker")) } th.n { (lang.t("calls")) } th.n { (lang.t("success_rate")) }
                    th.n { (lang.t("p50")) } th.n { (lang.t("p95")) } th.n { (lang.t("price")) }
                    th.n { (lang.t("cost")) }
                } }
                tbody {
                    @for v in &list {
                        @let st = stats.iter().find(|st| st.supplier_id == v.id);
                        tr data-supplier=(v.id) {
                            td { b { (v.id) } }
                            td { (v.kind) }
                            td.wrap { (v.capabilities.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")) }
                            td class=(match v.health.as_ref().map(|h| h.breaker) { Some("closed") => "ok", None => "muted", _ => "bad" }) {
                                (v.health.as_ref().map(|h| h.breaker).unwrap_or("–"))
                            }
                            td.n.calls { (st.map(|s| s.calls).unwrap_or(0)) }
                            td.n { (st.map(|s| pct(s.successes, s.calls)).unwrap_or_else(|| "–".into())) }
                            td.n { (st.map(|s| format!("{:.1}", s.p50_ms)).unwrap_or_default()) }
                            td.n { (st.map(|s| format!("{:.1}", s.p95_ms)).unwrap_or_default()) }
                            td.n { (v.price_milli) }
                            td.n { (st.map(|s| format!("{:.3}", s.cost_milli as f64 / 1000.0)).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
        div.card id="routing" {
            h2 { (lang.t("weight")) " / " (lang.t("enabled")) }
            table {
                tbody {
                    @for v in &list {
                        tr data-route=(v.id) {
                            td { b { (v.id) } }
                            td {
                                form.inline method="post" action={ "/dashboard/suppliers/" (v.id) "/confirm" } {
                                    input type="hidden" name="csrf" value=(ctx.csrf);
                                    input type="hidden" name="lang" value=(lang.code());
                                    input type="number" name="weight" min="1" max="10000" value=(v.weight) style="width:6em" aria-label=(lang.t("weight"));
                                    select name="enabled" aria-label=(lang.t("enabled")) {
                                        option value="true" selected[v.enabled] { (lang.t("enabled")) }
                                        option value="false" selected[!v.enabled] { (lang.t("disabled")) }
                                    }
                                    button type="submit" { (lang.t("change")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        div.grid {
            (chart(charts::bars(lang.t("calls"), &ids, &series)))
            div.card id="conversion" {
                h2 { (lang.t("conversion")) }
                (table(lang, &["supplier", "carrier", "sent", "entered", "approval_rate"], 2,
                    conversion.iter().map(|c| vec![
                        c.supplier_id.clone(),
                        if c.carrier.is_empty() { "–".into() } else { c.carrier.clone() },
                        c.sent.to_string(),
                        c.entered.to_string(),
                        pct(c.entered, c.sent),
                    ]).collect()))
            }
        }
    };
    Ok(view::page(&ctx, "/dashboard/suppliers", "suppliers", body))
}

/// The change a supplier form asks for.
fn patch_of(form: &Form) -> Result<(u32, bool), ApiError> {
    let weight = form
        .get("weight")
        .ok_or_else(|| ApiError::invalid_field("weight", "missing"))?;
    let weight: u32 = weight
        .trim()
        .parse()
        .ok()
        .filter(|w| (1..=10_000).contains(w))
        .ok_or_else(|| {
            ApiError::invalid_field(
                "weight",
                format!("{weight:?} is not a whole number 1 to 10000"),
            )
        })?;
    let enabled = match form.get("enabled") {
        Some("true") => true,
        Some("false") => false,
        other => {
            return Err(ApiError::invalid_field(
                "enabled",
                format!("{other:?} is not true or false"),
            ));
        }
    };
    Ok((weight, enabled))
}

fn form_ctx(session: &Session, headers: &HeaderMap, form: &Form) -> Result<Ctx, ApiError> {
    session.check_csrf(form)?;
    PageQuery {
        window: None,
        lang: form.get("lang").map(str::to_string),
        updated: None,
    }
    .ctx(headers, session)
}

/// `POST /dashboard/suppliers/{id}/confirm`: shows before and after, asks to confirm.
pub async fn post_confirm(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Markup, ApiError> {
    let ctx = form_ctx(&session, &headers, &form)?;
    let lang = ctx.lang;
    let (weight, enabled) = patch_of(&form)?;
    let v = s.suppliers.get(&id).await?;
    let on_off = |b: bool| lang.t(if b { "enabled" } else { "disabled" });
    let body = html! {
        div.card id="confirm" {
            h2 { (v.id) }
            table {
                thead { tr { th {} th { (lang.t("before")) } th { (lang.t("after")) } } }
                tbody {
                    tr { td { (lang.t("weight")) } td { (v.weight) } td { b { (weight) } } }
                    tr { td { (lang.t("enabled")) } td { (on_off(v.enabled)) } td { b { (on_off(enabled)) } } }
                }
            }
            form.inline method="post" action={ "/dashboard/suppliers/" (v.id) "/apply" } style="margin-top:1rem" {
                input type="hidden" name="csrf" value=(ctx.csrf);
                input type="hidden" name="lang" value=(lang.code());
                input type="hidden" name="weight" value=(weight);
                input type="hidden" name="enabled" value=(enabled);
                input type="hidden" name="confirm" value="yes";
                button type="submit" id="confirm-button" { (lang.t("confirm")) }
                a href=(ctx.href("/dashboard/suppliers")) { (lang.t("cancel")) }
            }
        }
    };
    Ok(view::page(
        &ctx,
        "/dashboard/suppliers",
        "confirm_change",
        body,
    ))
}

/// `POST /dashboard/suppliers/{id}/apply` (with `confirm=yes`): the change,
/// through the same update as `PATCH /v1/admin/suppliers/{id}`, audited with
/// actor `dashboard`.
pub async fn post_apply(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Form,
) -> Result<Response, ApiError> {
    let ctx = form_ctx(&session, &headers, &form)?;
    if form.get("confirm") != Some("yes") {
        return Err(ApiError::invalid_field(
            "confirm",
            "a change must be confirmed (confirm=yes)",
        ));
    }
    let (weight, enabled) = patch_of(&form)?;
    let patch = SupplierPatch {
        weight: Some(weight),
        enabled: Some(enabled),
        ..Default::default()
    };
    let v = crate::routes::suppliers_admin::update_audited(
        &s,
        crate::audit::DASHBOARD_ACTOR,
        &id,
        patch,
    )
    .await?;
    tracing::info!(supplier = %v.id, weight, enabled, "supplier changed from the dashboard");
    let to = format!(
        "{}&updated={}",
        ctx.href("/dashboard/suppliers"),
        form_urlencoded::byte_serialize(v.id.as_bytes()).collect::<String>()
    );
    Ok(see_other(&to).into_response())
}
