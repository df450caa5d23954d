//! Start-up: storage, secrets, bootstrap, then serving until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use std::path::PathBuf;

use secrecy::ExposeSecret;

use crate::config::Config;
use phoneguard_core::risk::{MemoryRiskCounters, RiskCounters, RiskService};
use phoneguard_core::secrets::HashKey;
use phoneguard_core::tenants::Tenants;
use phoneguard_numbering::NumberTable;
use phoneguard_server::{AppState, Inner};
use tokio::net::TcpListener;

/// Secrets created by this start, to be shown once (never in `Debug`).
#[derive(Default)]
pub struct Bootstrap {
    /// The `pk_test_` key of tenant `default`, when this start created it.
    pub default_key: Option<String>,
    /// The admin token, when this start generated it.
    pub admin_token: Option<String>,
}

impl std::fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |s: &Option<String>| s.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("Bootstrap")
            .field("default_key", &shown(&self.default_key))
            .field("admin_token", &shown(&self.admin_token))
            .finish()
    }
}

/// Opens storage, settles secrets, bootstraps an empty database and builds the
/// application state.
pub async fn prepare(config: &Config) -> anyhow::Result<(AppState, Bootstrap)> {
    let started = Instant::now();
    // Read before the database is touched: a bad table stops the start at once.
    let geoip = match &config.risk.geoip_file {
        Some(path) => Some(Arc::new(
            phoneguard_core::geo::GeoIp::load(std::path::Path::new(path))
                .map_err(anyhow::Error::msg)
                .context("config key `risk.geoip_file`")?,
        )),
        None => None,
    };
    let database_url = config.database_url.expose_secret();
    let store = phoneguard_store::open(database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open database {}",
                phoneguard_store::redact_url(database_url)
            )
        })?;
    let secret = crate::hash_secret::settle(config, store.as_ref()).await?;
    let hash_key = HashKey::new(secret.into_bytes());
    let tenants = Arc::new(Tenants::new(
        store.clone(),
        hash_key.clone(),
        Duration::from_secs(config.http.key_cache_ttl_s),
    ));
    let risk = Arc::new(
        RiskService::new(
            config.risk.rules_file.as_ref().map(PathBuf::from),
            risk_counters(config, &hash_key).await?,
            tenants.store().clone(),
            NumberTable::embedded(),
            hash_key.clone(),
            chrono::Duration::days(i64::from(config.risk.result_retention_days)),
        )
        .context("config key `risk.rules_file`")?
        .with_line_status(
            config
                .risk
                .line_status
                .then(|| Duration::from_millis(config.risk.line_status_timeout_ms)),
        ),
    );
    let devices = Arc::new(
        phoneguard_core::devices::DeviceService::new(
            tenants.store().clone(),
            hash_key.clone(),
            Duration::from_secs(config.http.key_cache_ttl_s),
        )
        .with_geoip(geoip),
    );
    let default_key = tenants.bootstrap().await?.map(|k| k.key);
    let (admin_hash, admin_token) = tenants
        .settle_admin_token(config.admin_token.as_ref().map(|t| t.expose_secret()))
        .await?;
    let suppliers = phoneguard_suppliers::registry::start(
        tenants.store().clone(),
        config.master_key.as_ref().map(|k| k.expose_secret()),
        &config.router,
        &config.suppliers.seed,
        hash_key.clone(),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    phoneguard_numbering::preload();
    let numbers: &'static NumberTable = NumberTable::embedded();
    let twilio = Arc::new(phoneguard_core::twilio::TwilioServices::new(
        tenants.store().clone(),
    ));
    let verify = build_verify(
        config,
        tenants.store().clone(),
        &suppliers,
        &hash_key,
        twilio.clone(),
    )
    .await?;
    tokio::spawn(
        phoneguard_core::verify::VerifyService::run_sandbox_receipts(Arc::downgrade(&verify)),
    );
    let (limits, usage) = crate::limits_setup::build(config, tenants.store().clone())?;
    let state = AppState::new(Inner {
        tenants,
        risk,
        devices,
        admin_hash,
        numbers,
        suppliers,
        verify,
        twilio,
        limits,
        usage,
        metrics: phoneguard_server::metrics_handle(),
        max_body_bytes: config.http.max_body_bytes,
        started,
        dashboard: config.dashboard.clone(),
        guard: phoneguard_server::guard::Guard::new(
            &config.auth,
            config.metrics.clone(),
            phoneguard_server::guard::parse_proxies(&config.http.trusted_proxies)
                .map_err(|m| anyhow::anyhow!("config key `http.trusted_proxies`: {m}"))?,
        ),
        aliyun: aliyun_front(config, &hash_key)?,
    });
    Ok((
        state,
        Bootstrap {
            default_key,
            admin_token,
        },
    ))
}

/// The Aliyun-compatible front's state: accepted nonces on Redis when
/// `redis_url` is set (several nodes: a replay is refused on every node), else
/// in process.
fn aliyun_front(
    config: &Config,
    hash_key: &HashKey,
) -> anyhow::Result<phoneguard_server::routes::aliyun_front::FrontState> {
    use phoneguard_server::routes::aliyun_front::FrontState;
    let Some(url) = config.redis_url.as_ref().map(|u| u.expose_secret()) else {
        return Ok(FrontState::single_node());
    };
    let prefix = config.redis_prefix.as_deref().unwrap_or("phoneguard");
    let nonces = phoneguard_counters::RedisNonces::new(url, prefix, hash_key.clone())
        .map_err(anyhow::Error::msg)
        .context("config key `redis_url`")?;
    Ok(FrontState::new(Arc::new(nonces)))
}

/// The risk engine's velocity counters: shared on Redis when `redis_url` is set
/// (several nodes), else in process. Keys are hashed under the deployment's hash
/// secret, so every node of a deployment shares them and no other deployment does.
async fn risk_counters(
    config: &Config,
    hash_key: &HashKey,
) -> anyhow::Result<Arc<dyn RiskCounters>> {
    let Some(url) = config.redis_url.as_ref().map(|u| u.expose_secret()) else {
        return Ok(Arc::new(MemoryRiskCounters::default()));
    };
    let mut settings = phoneguard_counters::RedisCountersConfig::default();
    if let Some(prefix) = &config.redis_prefix {
        settings.prefix.clone_from(prefix);
    }
    let counters = phoneguard_counters::RedisRiskCounters::new(url, hash_key.clone(), settings)
        .context("config key `redis_url`")?;
    // Started without Redis, the node still serves; counters connect on first use.
    if let Err(e) = counters.connect().await {
        tracing::warn!(error = %e, "Redis not reachable at start; risk counters will retry");
    }
    Ok(Arc::new(counters))
}

/// The verification service: messaging suppliers from the supplier store
/// (seeded like every supplier from `[[suppliers.seed]]`), the sandbox outbox
/// in memory, state in the database; send admission, failover mappings and
/// caller reservations on Redis when `redis_url` is set, else send admission in
/// memory on SQLite (one node) and in the database on PostgreSQL.
async fn build_verify(
    config: &Config,
    store: Arc<dyn phoneguard_core::Store>,
    suppliers: &phoneguard_suppliers::Registry,
    hash_key: &HashKey,
    twilio: Arc<phoneguard_core::twilio::TwilioServices>,
) -> anyhow::Result<Arc<phoneguard_core::verify::VerifyService>> {
    let outbox = Arc::new(phoneguard_core::verify::Outbox::new(
        config.verify.outbox_capacity,
    ));
    let directory = suppliers.messaging_directory(outbox.clone());
    let mut service = phoneguard_core::verify::VerifyService::new(
        store,
        directory,
        outbox,
        hash_key.clone(),
        config.verify.clone(),
        NumberTable::embedded(),
    )
    .with_call_log(suppliers.router().call_log())
    .with_app_names(twilio);
    if let Some(url) = config.redis_url.as_ref().map(|u| u.expose_secret()) {
        let mut settings = phoneguard_counters::RedisVerifyConfig::default();
        if let Some(prefix) = &config.redis_prefix {
            settings.prefix.clone_from(prefix);
        }
        let hot = phoneguard_counters::RedisVerifyState::new(url, hash_key.clone(), settings)
            .context("config key `redis_url`")?;
        if let Err(e) = hot.connect().await {
            tracing::warn!(error = %e, "Redis not reachable at start; verification state will retry");
        }
        let hot = Arc::new(hot);
        service = service.with_hot_state(hot.clone()).with_admission(hot);
    } else if phoneguard_store::is_sqlite(config.database_url.expose_secret()) {
        // One node (a SQLite file has one server): send windows in memory,
        // seeded from the recorded sends so a restart forgets no limit. The
        // replay runs in the background (readiness does not wait for it);
        // sends wait for it instead.
        let windows = Arc::new(phoneguard_core::verify::SendWindows::unseeded());
        let service = Arc::new(service.with_admission(windows.clone()));
        tokio::spawn(seed_send_windows(service.clone(), windows));
        return Ok(service);
    }
    Ok(Arc::new(service))
}

/// Replays the recorded sends into `windows`, retrying every second while the
/// database does not answer; sends are refused (503) until it is done.
async fn seed_send_windows(
    service: Arc<phoneguard_core::verify::VerifyService>,
    windows: Arc<phoneguard_core::verify::SendWindows>,
) {
    loop {
        let started = std::time::Instant::now();
        match service
            .seed_send_windows(&windows, chrono::Utc::now())
            .await
        {
            Ok(replayed) => {
                windows.mark_seeded();
                let ms = started.elapsed().as_millis() as u64;
                // Sends waited for this: say so when it was long enough to notice.
                if ms >= 1_000 {
                    tracing::info!(replayed, ms, "send windows seeded from the database");
                } else {
                    tracing::debug!(replayed, ms, "send windows seeded from the database");
                }
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the recorded sends failed; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Hourly purge of old send records, expired failover mappings and caller reservations.
fn spawn_verify_purge(state: &AppState) -> tokio::task::JoinHandle<()> {
    let verify = state.verify.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match verify.purge().await {
                Ok(n) => tracing::debug!(deleted = n, "verification records purged"),
                Err(e) => tracing::warn!(error = %e, "verification purge failed"),
            }
        }
    })
}

/// How often each node looks for supplier changes made through other nodes.
const SUPPLIER_REFRESH: Duration = Duration::from_secs(2);

/// Rebuilds this node's query router when the stored suppliers change (an admin
/// call to another node); the messaging directory re-reads them on its own.
fn spawn_supplier_refresh(state: &AppState) -> tokio::task::JoinHandle<()> {
    let registry = state.suppliers.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SUPPLIER_REFRESH);
        loop {
            tick.tick().await;
            match registry.reload_if_changed().await {
                Ok(true) => tracing::info!("suppliers changed elsewhere; routing rebuilt"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "supplier refresh failed"),
            }
        }
    })
}

/// Prints the secrets created by this start, once, to standard output (not the log).
pub fn print_bootstrap(b: &Bootstrap) {
    if let Some(t) = &b.admin_token {
        println!("phoneguard: generated admin token (shown once, stored only as a hash):\n  {t}");
    }
    if let Some(k) = &b.default_key {
        println!(
            "phoneguard: created tenant `default` with a sandbox API key (shown once):\n  {k}"
        );
    }
}

/// Serves on `listener` until `shutdown`, then gives in-flight requests
/// `http.shutdown_grace_s` to finish.
pub async fn run(
    config: &Config,
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let grace = Duration::from_secs(config.http.shutdown_grace_s);
    let listen = phoneguard_server::listen::ListenConfig {
        request_timeout: Duration::from_secs(config.http.request_timeout_s),
        header_read_timeout: Duration::from_secs(config.http.header_read_timeout_s),
        max_connections: crate::fd_limit::connection_cap(config.http.max_connections),
    };
    let background = spawn_background(config, &state);
    let verify_purge = spawn_verify_purge(&state);
    let supplier_refresh = spawn_supplier_refresh(&state);
    let usage = state.usage.clone();
    let usage_flush = crate::limits_setup::spawn_flush(usage.clone());
    let server = tokio::spawn(phoneguard_server::serve(
        state,
        listen,
        listener,
        async move {
            shutdown.await;
            let _ = tx.send(());
        },
    ));
    tokio::pin!(server);
    tokio::select! {
        res = &mut server => {
            usage_flush.abort();
            crate::limits_setup::final_flush(&usage).await;
            return Ok(res??);
        }
        _ = rx => tracing::info!(grace_s = grace.as_secs(), "shutting down: finishing in-flight requests"),
    }
    match tokio::time::timeout(grace, &mut server).await {
        Ok(res) => res??,
        Err(_) => tracing::warn!("shutdown grace period over; closing remaining connections"),
    }
    background.abort();
    verify_purge.abort();
    supplier_refresh.abort();
    usage_flush.abort();
    crate::limits_setup::final_flush(&usage).await;
    Ok(())
}

/// Periodic and signal-driven work: purge of expired risk results, rules reload
/// on SIGHUP.
fn spawn_background(config: &Config, state: &AppState) -> tokio::task::JoinHandle<()> {
    let purge_every = Duration::from_secs(config.risk.purge_interval_s);
    let risk = state.risk.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut tick = tokio::time::interval(purge_every);
        loop {
            #[cfg(unix)]
            let hup_recv = async {
                match hup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hup_recv = std::future::pending::<Option<()>>();
            tokio::select! {
                _ = tick.tick() => match risk.purge().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "expired risk results purged"),
                    Err(e) => tracing::warn!(error = %e, "risk result purge failed"),
                },
                _ = hup_recv => match risk.reload_file() {
                    Ok(n) => tracing::info!(rules = n, "SIGHUP: risk rules reloaded"),
                    Err(e) => tracing::error!(error = %e, "SIGHUP: risk rules NOT reloaded; the old rules stay"),
                },
            }
        }
    })
}

/// Completes on SIGTERM or Ctrl-C. The SIGTERM handler is installed when this
/// is called (not when first polled), so a signal right after start-up is not
/// fatal.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    }
}
