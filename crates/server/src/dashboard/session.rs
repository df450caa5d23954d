//! Admin sessions: login with the admin token, a random session id in an
//! HttpOnly SameSite=Strict cookie (only its hash stored, in the database so
//! every node knows it), a per-session CSRF token, logout.

use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use phoneguard_core::dashboard::DashboardSession;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::dashboard::form::Form;
use crate::dashboard::i18n::Lang;
use crate::dashboard::view;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::guard::ClientIp;
use crate::state::AppState;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "pg_dash";

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// What is stored of a session id.
fn id_hash(id: &str) -> String {
    sha256_hex(&[b"dashboard-session:", id.as_bytes()])
}

/// The CSRF token of a session: derived from its id, so nothing more is stored,
/// and not the stored hash.
fn csrf_of(id: &str) -> String {
    sha256_hex(&[b"dashboard-csrf:", id.as_bytes()])[..32].to_string()
}

/// The session id in the request's cookies.
fn cookie_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A 303 to `to`.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

/// A logged-in admin, with the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    id_hash: String,
    /// The token of the hidden `csrf` field.
    pub csrf: String,
}

impl Session {
    /// Refuses a state-changing form whose `csrf` field is not this session's.
    pub fn check_csrf(&self, form: &Form) -> Result<(), ApiError> {
        let given = form.get("csrf").unwrap_or("");
        if bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "the form's csrf token is missing or not this session's; reload the page",
            ))
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let Some(id) = cookie_id(&parts.headers) else {
            return Err(see_other("/dashboard/login"));
        };
        let hash = id_hash(&id);
        match s.store().get_dashboard_session(&hash, Utc::now()).await {
            Ok(Some(_)) => Ok(Session {
                id_hash: hash,
                csrf: csrf_of(&id),
            }),
            Ok(None) => Err(see_other("/dashboard/login")),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// Query of `GET /dashboard/login`.
#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    lang: Option<String>,
    /// Set after a refused token.
    #[serde(default)]
    failed: Option<String>,
}

/// `GET /dashboard/login`, with an error line after a refused token.
pub async fn get_login(headers: HeaderMap, ApiQuery(q): ApiQuery<LoginQuery>) -> Response {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let error = q.failed.is_some().then(|| lang.t("bad_token"));
    view::login(lang, error).into_response()
}

/// `POST /dashboard/login` with field `token`.
pub async fn post_login(
    State(s): State<AppState>,
    client: ClientIp,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, ApiError> {
    let lang = Lang::pick(form.get("lang"), &headers);
    let token = form.get("token").unwrap_or("").trim();
    let ok = !token.is_empty()
        && s.guard
            .attempt(client, || s.tenants.is_admin_token(token, &s.admin_hash))?;
    if !ok {
        tracing::warn!("dashboard login refused");
        // Post/redirect/get: the form is shown again with the error, no resubmission.
        return Ok(see_other(&format!(
            "/dashboard/login?failed=1&lang={}",
            lang.code()
        )));
    }
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let id = hex::encode(raw);
    let now = Utc::now();
    let ttl = s.dashboard.session_ttl_s;
    s.store()
        .insert_dashboard_session(&DashboardSession {
            id_hash: id_hash(&id),
            created_at: now,
            expires_at: now + Duration::seconds(ttl as i64),
        })
        .await?;
    tracing::info!("dashboard login");
    let secure = if s.dashboard.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE_NAME}={id}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={ttl}{secure}"
    );
    let mut resp = see_other(&format!("/dashboard?lang={}", lang.code()));
    resp.headers_mut().insert(
        SET_COOKIE,
        cookie
            .parse()
            .map_err(|e| ApiError::internal("session cookie", e))?,
    );
    Ok(resp)
}

/// `POST /dashboard/logout` (CSRF-checked): deletes the session, clears the cookie.
pub async fn post_logout(
    State(s): State<AppState>,
    session: Session,
    form: Form,
) -> Result<Response, ApiError> {
    session.check_csrf(&form)?;
    s.store().delete_dashboard_session(&session.id_hash).await?;
    let mut resp = see_other("/dashboard/login");
    resp.headers_mut().insert(
        SET_COOKIE,
        axum::http::HeaderValue::from_static(
            "pg_dash=; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_id_is_found_among_others_and_malformed_ids_are_ignored() {
        let id = "ab".repeat(32);
        let mut h = HeaderMap::new();
        h.insert(COOKIE, format!("x=1; {COOKIE_NAME}={id}").parse().unwrap());
        assert_eq!(cookie_id(&h).as_deref(), Some(id.as_str()));
        h.insert(COOKIE, format!("{COOKIE_NAME}=short").parse().unwrap());
        assert_eq!(cookie_id(&h), None);
    }

    #[test]
    fn the_csrf_token_and_the_stored_hash_differ_from_the_id_and_each_other() {
        let id = "cd".repeat(32);
        assert_ne!(csrf_of(&id), id);
        assert!(!id_hash(&id).starts_with(&csrf_of(&id)));
        assert_eq!(id_hash(&id).len(), 64);
    }
}
