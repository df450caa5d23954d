//! Supplier adapters and the router.
//!
//! - [`sandbox`]: answers from the sandbox subscriber table, with fault options.
//! - [`aliyun`]: the line-status seed's APPCODE API (`aliyun_market_status`).
//! - [`http`]: zero-code integration: request templates and response mappings in config.
//! - [`router`]: picks suppliers by capability, carrier, health, weight and price,
//!   with circuit breakers, a deadline, failover, hedging and call records.
//! - [`registry`]: suppliers as stored (credentials sealed), built into adapters,
//!   seeded from config and changed live by the admin API.
#![forbid(unsafe_code)]

pub mod aliyun;
pub mod aliyun_dypns;
pub mod aliyun_sign;
pub mod http;
pub mod messaging;
pub mod registry;
pub mod router;
pub mod sandbox;
pub mod sandbox_carrier;

use std::sync::Arc;
use std::time::Duration;

use phoneguard_core::secrets::HashKey;
use phoneguard_core::suppliers::{Supplier, SupplierConfig, SupplierStore};

pub use registry::{Registry, RegistryError};
pub use router::{Router, RouterConfig, RouterError};

/// What adapters share: an HTTP client, the hash key (sandbox) and the store.
#[derive(Clone)]
pub struct AdapterContext {
    /// Pooled HTTP client (rustls).
    pub http: reqwest::Client,
    /// Keyed hashing of numbers, names and ID numbers (sandbox).
    pub hash_key: HashKey,
    /// Sandbox subscribers live here.
    pub store: Arc<dyn SupplierStore>,
}

impl AdapterContext {
    /// A context with a fresh HTTP client.
    pub fn new(hash_key: HashKey, store: Arc<dyn SupplierStore>) -> Self {
        let http = client_builder()
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .expect("the supplier HTTP client builds (its TLS backend loads)");
        AdapterContext {
            http,
            hash_key,
            store,
        }
    }
}

/// How many redirects within one origin a supplier call follows.
const MAX_SAME_ORIGIN_REDIRECTS: usize = 5;

/// The builder of every supplier HTTP client: a 3 s connect timeout and
/// redirects followed only within the origin (scheme, host and port) of the
/// request. A redirect to another origin would carry the request's custom
/// credential headers and its body (names, ID numbers) to a host nobody
/// configured: it is not followed, the call fails as a transport error and a
/// warning names both origins (never the path or query, which may hold a
/// signature).
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .redirect(reqwest::redirect::Policy::custom(same_origin_redirects))
}

fn same_origin_redirects(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let Some(from) = attempt.previous().last() else {
        return attempt.error("redirect without a previous request");
    };
    let (from, to) = (from.origin(), attempt.url().origin());
    if from != to {
        tracing::warn!(
            from = %from.ascii_serialization(),
            to = %to.ascii_serialization(),
            status = attempt.status().as_u16(),
            "supplier redirect to another origin refused"
        );
        return attempt.error(format!(
            "redirect to another origin ({}) refused",
            to.ascii_serialization()
        ));
    }
    // `previous` starts with the original request.
    if attempt.previous().len() > MAX_SAME_ORIGIN_REDIRECTS {
        return attempt.error("too many redirects");
    }
    attempt.follow()
}

/// Why a configuration cannot be turned into an adapter; names the option at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BuildError {
    /// Dotted field, e.g. `options.status.url`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl BuildError {
    /// An error naming `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        BuildError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Builds the adapter of a (validated) configuration with its credentials in clear.
pub fn build(
    config: &SupplierConfig,
    ctx: &AdapterContext,
) -> Result<Arc<dyn Supplier>, BuildError> {
    let creds = config
        .credentials
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    match config.kind.as_str() {
        "sandbox" => Ok(Arc::new(sandbox::Sandbox::new(&config.options, ctx)?)),
        "aliyun_market_status" => Ok(Arc::new(aliyun::AliyunMarketStatus::new(
            &config.options,
            &creds,
            ctx,
        )?)),
        "aliyun_dypns" => Ok(Arc::new(aliyun_dypns::AliyunDypns::new(
            &config.options,
            &creds,
            ctx,
        )?)),
        "http" => Ok(Arc::new(http::HttpSupplier::new(
            &config.options,
            creds,
            ctx,
        )?)),
        kind if messaging::is_messaging_kind(kind) => messaging::query_stub(config),
        other => Err(BuildError::new("kind", format!("unknown kind {other:?}"))),
    }
}
