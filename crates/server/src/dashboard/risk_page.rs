//! Risk page: levels over time, top reasons, top risky devices and the IPs with
//! the most code sends — keyed hashes only, shortened.

use axum::extract::State;
use axum::http::HeaderMap;
use chrono::Utc;
use maud::{Markup, html};

use super::PageQuery;
use super::charts::{self, Series};
use super::data::{Buckets, ROW_LIMIT, levels_over_time, mask_hash, top_devices, top_reasons};
use super::session::Session;
use super::view::{self, chart, table};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// How many entries the top lists show.
const TOP: usize = 10;

/// `GET /dashboard/risk`.
pub async fn get_risk(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Markup, ApiError> {
    let ctx = q.ctx(&headers, &session)?;
    let lang = ctx.lang;
    let b = Buckets::new(ctx.window, Utc::now());
    let points = s.store().risk_points(b.since, ROW_LIMIT).await?;
    let ips = s.store().top_send_ips(b.since, TOP as i64).await?;
    let levels = levels_over_time(&points, &b);
    let series: Vec<Series> = levels
        .iter()
        .enumerate()
        .map(|(level, values)| Series {
            name: format!("{} {level}", lang.t("level")),
            values: values.clone(),
        })
        .collect();
    let mut by_level = [0i64; 5];
    for p in &points {
        by_level[usize::from(p.level.min(4))] += 1;
    }
    let body = html! {
        div.tiles {
            div.tile { span.muted { (lang.t("assessments")) } b id="risk-total" { (points.len()) } }
            @for (level, n) in by_level.iter().enumerate() {
                div.tile { span.muted { (lang.t("level")) " " (level) } b { (n) } }
            }
        }
        @if points.len() as i64 >= ROW_LIMIT { p.muted { (lang.t("sampled")) } }
        div.grid {
            (chart(charts::lines(lang.t("levels_over_time"), &b.labels(), &series)))
            div.card id="reasons" {
                h2 { (lang.t("top_reasons")) }
                (table(lang, &["reason", "count"], 1,
                    top_reasons(&points, TOP).into_iter().map(|(c, n)| vec![c, n.to_string()]).collect()))
            }
            div.card id="devices" {
                h2 { (lang.t("top_devices")) }
                (table(lang, &["device", "count", "max_level"], 1,
                    top_devices(&points, TOP).into_iter()
                        .map(|(d, n, l)| vec![mask_hash(&d), n.to_string(), l.to_string()]).collect()))
            }
            div.card id="ips" {
                h2 { (lang.t("top_ips")) }
                (table(lang, &["ip", "count"], 1,
                    ips.iter().map(|h| vec![mask_hash(&h.hash), h.count.to_string()]).collect()))
            }
        }
    };
    Ok(view::page(&ctx, "/dashboard/risk", "risk", body))
}
