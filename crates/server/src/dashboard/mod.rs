//! `/dashboard`: server-rendered monitoring pages (maud, charts by plotters as
//! inline SVG; no script, nothing fetched) behind an admin login.
//!
//! Pages: overview, suppliers (with a confirmed weight / enable change through
//! the admin update path), verifications funnel, risk, tenants and keys, usage.
//! Every page takes `?window=1h|24h|7d` and `?lang=zh|en`.

mod charts;
mod data;
mod form;
mod i18n;
mod pages;
mod risk_page;
mod session;
mod settings;
mod suppliers;
mod view;

pub use settings::DashboardConfig;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;
use data::Window;
use i18n::Lang;
use session::Session;
use view::Ctx;

/// The dashboard's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/dashboard/login",
            get(session::get_login).post(session::post_login),
        )
        .route("/dashboard/logout", post(session::post_logout))
        .route("/dashboard", get(pages::get_overview))
        .route("/dashboard/suppliers", get(suppliers::get_suppliers))
        .route(
            "/dashboard/suppliers/{id}/confirm",
            post(suppliers::post_confirm),
        )
        .route(
            "/dashboard/suppliers/{id}/apply",
            post(suppliers::post_apply),
        )
        .route("/dashboard/verifications", get(pages::get_verifications))
        .route("/dashboard/risk", get(risk_page::get_risk))
        .route("/dashboard/tenants", get(pages::get_tenants))
        .route("/dashboard/usage", get(pages::get_usage))
}

/// Query of every page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    /// Set after a supplier change: the supplier's id.
    #[serde(default)]
    updated: Option<String>,
}

impl PageQuery {
    /// The page context for a logged-in admin.
    fn ctx(&self, headers: &HeaderMap, session: &Session) -> Result<Ctx, ApiError> {
        Ok(Ctx {
            lang: Lang::pick(self.lang.as_deref(), headers),
            window: Window::parse(self.window.as_deref())?,
            csrf: session.csrf.clone(),
        })
    }
}
