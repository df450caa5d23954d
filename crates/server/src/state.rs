//! Shared state handed to every handler.

use std::sync::Arc;
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;
use phoneguard_core::Store;
use phoneguard_core::tenants::Tenants;
use phoneguard_numbering::NumberTable;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    /// Tenants, keys and admin authentication.
    pub tenants: Arc<Tenants>,
    /// Hash of the admin token.
    pub admin_hash: String,
    /// Risk engine, counters and results.
    pub risk: Arc<phoneguard_core::risk::RiskService>,
    /// The number-segment table, shared read-only.
    pub numbers: &'static NumberTable,
    /// Device identity: publishable keys, device ids, device tokens.
    pub devices: Arc<phoneguard_core::devices::DeviceService>,
    /// Suppliers: management, the router and the sandbox's keyed hashing.
    pub suppliers: Arc<phoneguard_suppliers::Registry>,
    /// Verifications: codes, failover, limits, flash calls, the sandbox outbox.
    pub verify: Arc<phoneguard_core::verify::VerifyService>,
    /// Twilio Verify v2 services (`/v2/Services`).
    pub twilio: Arc<phoneguard_core::twilio::TwilioServices>,
    /// Rate limits and daily quotas.
    pub limits: Arc<phoneguard_core::limits::Limits>,
    /// Usage counted per tenant × capability × day, written in batches.
    pub usage: Arc<phoneguard_core::ops::UsageMeter>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// When the process started serving.
    pub started: Instant,
    /// Admin sessions of `/dashboard`.
    pub dashboard: crate::dashboard::DashboardConfig,
    /// Throttle of failed admin authentication, client addresses, `/metrics` access.
    pub guard: crate::guard::Guard,
    /// The Aliyun-compatible front's AccessKey cache and nonce ledger.
    pub aliyun: crate::routes::aliyun_front::FrontState,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        AppState(Arc::new(inner))
    }

    /// The durable store.
    pub fn store(&self) -> &Arc<dyn Store> {
        self.0.tenants.store()
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
