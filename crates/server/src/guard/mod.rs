//! Guarding the admin credential: the client address of a request, the
//! throttle of failed admin authentication per address, and who may read
//! `/metrics`.

mod client;
mod settings;
mod throttle;

pub use client::{client_ip, parse_proxies};
pub use settings::{AuthConfig, MetricsConfig};
pub use throttle::AuthThrottle;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use ipnet::IpNet;
use secrecy::ExposeSecret;

use crate::error::ApiError;
use crate::state::AppState;

/// The throttle, the trusted proxies and the metrics settings of a server.
#[derive(Debug)]
pub struct Guard {
    throttle: AuthThrottle,
    proxies: Vec<IpNet>,
    metrics: MetricsConfig,
}

impl Guard {
    /// A guard with these settings.
    pub fn new(auth: &AuthConfig, metrics: MetricsConfig, proxies: Vec<IpNet>) -> Self {
        Guard {
            throttle: AuthThrottle::new(auth.max_failures, Duration::from_secs(auth.window_s)),
            proxies,
            metrics,
        }
    }

    /// Runs `check` of a credential presented by `client` unless the address is
    /// throttled (429 `rate_limited`, `limit: auth_failures`, with
    /// `Retry-After`); counts a failed check against the address.
    pub fn attempt(
        &self,
        client: ClientIp,
        check: impl FnOnce() -> bool,
    ) -> Result<bool, ApiError> {
        if let Some(wait) = self.throttle.blocked(client.0, Instant::now()) {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                crate::error::ProblemCode::RateLimited,
                "too many failed authentications from this address; retry after Retry-After seconds",
            )
            .with(|x| x.limit = Some(crate::error::ProblemLimit::Name("auth_failures")));
            e.retry_after = Some(wait);
            return Err(e);
        }
        let ok = check();
        if ok {
            self.throttle.succeeded(client.0);
        } else {
            self.throttle.failed(client.0, Instant::now());
            tracing::warn!("admin authentication failed");
        }
        Ok(ok)
    }
}

/// The client address of a request (see [`client_ip`]); `None` when the
/// server was not given the connection's address (in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The client of a request.
    pub fn of(parts: &Parts, state: &AppState) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        ClientIp(client_ip(peer, &parts.headers, &state.guard.proxies))
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(ClientIp::of(parts, state))
    }
}

/// A caller allowed to read `/metrics`: anyone when `metrics.public`, else the
/// holder of `metrics.token` or of the admin token.
#[derive(Debug, Clone, Copy)]
pub struct MetricsReader;

impl FromRequestParts<AppState> for MetricsReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let guard = &state.guard;
        if guard.metrics.public {
            return Ok(MetricsReader);
        }
        let token = crate::auth::bearer(parts).map_err(|_| {
            ApiError::unauthorized(
                "/metrics needs Authorization: Bearer <metrics.token or the admin token> \
                 (or metrics.public = true)",
            )
        })?;
        let ok = guard.attempt(ClientIp::of(parts, state), || {
            let by_token = guard.metrics.token.as_ref().is_some_and(|t| {
                phoneguard_core::secrets::constant_time_eq(
                    t.expose_secret().as_bytes(),
                    token.as_bytes(),
                )
            });
            by_token || state.tenants.is_admin_token(token, &state.admin_hash)
        })?;
        if ok {
            Ok(MetricsReader)
        } else {
            Err(ApiError::unauthorized("invalid metrics token"))
        }
    }
}
