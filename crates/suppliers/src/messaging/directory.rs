//! [`Directory`]: the messaging suppliers of the supplier store, built into
//! senders, re-read at most every second.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use phoneguard_core::suppliers::{
    Capability, CredentialCipher, SupplierConfig, SupplierError, SupplierStore,
};
use phoneguard_core::verify::{MessagingDirectory, MessagingRoute, Outbox};

use super::{build_sender, caller_pool};

type Routes = Arc<Vec<Arc<MessagingRoute>>>;

/// The messaging suppliers, from the supplier store.
pub struct Directory {
    store: Arc<dyn SupplierStore>,
    cipher: Option<CredentialCipher>,
    http: reqwest::Client,
    outbox: Arc<Outbox>,
    refresh: Duration,
    cache: Mutex<Option<(Instant, Routes)>>,
}

impl Directory {
    /// A directory over `store`; `master_key` opens credentials.
    pub fn new(
        store: Arc<dyn SupplierStore>,
        master_key: Option<&[u8; 32]>,
        outbox: Arc<Outbox>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Directory {
            store,
            cipher: master_key.map(CredentialCipher::new),
            http,
            outbox,
            refresh: Duration::from_secs(1),
            cache: Mutex::new(None),
        }
    }

    /// Forgets the cached suppliers (after a change on this node).
    pub fn invalidate(&self) {
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
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
        if let Some((at, routes)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && at.elapsed() < self.refresh
        {
            return Ok(routes.clone());
        }
        let routes = self.load().await?;
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), routes.clone()));
        Ok(routes)
    }
}
