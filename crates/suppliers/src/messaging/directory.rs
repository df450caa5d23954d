//! [`Directory`]: the messaging suppliers of the supplier store, built into
//! senders, re-read at most every second, and at once after a change made
//! through this node ([`Directory::invalidate`], which the registry calls).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use phoneguard_core::suppliers::{
    Capability, CredentialCipher, SupplierConfig, SupplierError, SupplierStore,
};
use phoneguard_core::verify::{MessagingDirectory, MessagingRoute, Outbox};

use super::{build_sender, caller_pool};

type Routes = Arc<Vec<Arc<MessagingRoute>>>;

/// The cached suppliers, and the count of invalidations a load must not have
/// missed to be kept.
#[derive(Default)]
struct Cache {
    routes: Option<(Instant, Routes)>,
    generation: u64,
}

/// The messaging suppliers, from the supplier store.
pub struct Directory {
    store: Arc<dyn SupplierStore>,
    cipher: Option<CredentialCipher>,
    http: reqwest::Client,
    outbox: Arc<Outbox>,
    refresh: Duration,
    cache: Mutex<Cache>,
}

impl Directory {
    /// A directory over `store` whose credentials `cipher` opens; made only by
    /// [`crate::Registry::messaging_directory`], so that every change the
    /// registry makes refreshes it.
    pub(crate) fn new(
        store: Arc<dyn SupplierStore>,
        cipher: Option<CredentialCipher>,
        outbox: Arc<Outbox>,
    ) -> Self {
        let http = crate::client_builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("the supplier HTTP client builds (its TLS backend loads)");
        Directory {
            store,
            cipher,
            http,
            outbox,
            refresh: Duration::from_secs(1),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Forgets the cached suppliers (after a change on this node): the next
    /// send reads the table again, and a load that began before this call is
    /// not kept (it may have read the table before the change).
    pub fn invalidate(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.routes = None;
        cache.generation += 1;
    }

    async fn load(&self) -> Result<Routes, SupplierError> {
        let records = self
            .store
            .list_suppliers()
            .await
            .map_err(|e| SupplierError::Transport(format!("supplier store: {e}")))?;
        let mut routes = vec![];
        for r in records {
            if !r
                .capabilities
                .iter()
                .any(|c| matches!(c, Capability::Sms | Capability::Voice))
            {
                continue;
            }
            let credentials = match (&r.credentials, &self.cipher) {
                (None, _) => None,
                (Some(blob), Some(c)) => match c.open(&r.id, blob) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        tracing::error!(supplier = %r.id, error = %e, "messaging supplier left out: credentials do not open");
                        continue;
                    }
                },
                (Some(_), None) => {
                    tracing::error!(supplier = %r.id, "messaging supplier left out: credentials need PHONEGUARD_MASTER_KEY");
                    continue;
                }
            };
            let config = SupplierConfig {
                id: r.id.clone(),
                kind: r.kind.clone(),
                capabilities: r.capabilities.clone(),
                carriers: r.carriers.clone(),
                weight: r.weight,
                price_milli: r.price_milli,
                enabled: r.enabled,
                options: r.options.clone(),
                credentials,
            };
            match build_sender(&config, &self.http, &self.outbox)
                .and_then(|s| Ok((s, caller_pool(&config.options)?)))
            {
                Ok((sender, pool)) => routes.push(Arc::new(MessagingRoute {
                    receipt_token: (config.kind == "twilio")
                        .then(|| {
                            config
                                .credentials
                                .as_ref()
                                .and_then(|c| c["auth_token"].as_str())
                                .map(str::to_string)
                        })
                        .flatten(),
                    config: SupplierConfig {
                        credentials: None,
                        ..config
                    },
                    caller_pool: pool,
                    sender,
                })),
                Err(e) => {
                    tracing::error!(supplier = %r.id, error = %e, "messaging supplier left out")
                }
            }
        }
        Ok(Arc::new(routes))
    }
}

#[async_trait]
impl MessagingDirectory for Directory {
    async fn routes(&self) -> Result<Routes, SupplierError> {
        let generation = {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, routes)) = &cache.routes
                && at.elapsed() < self.refresh
            {
                return Ok(routes.clone());
            }
            cache.generation
        };
        let routes = self.load().await?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.generation == generation {
            cache.routes = Some((Instant::now(), routes.clone()));
        }
        Ok(routes)
    }
}
