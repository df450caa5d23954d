//! Suppliers as an operator manages them: validated, credentials sealed under
//! the master key, stored, built into adapters and handed to the router. Every
//! change reloads the router and refreshes the messaging directories before it
//! is answered, so it holds at once on this node, without a restart.

use std::sync::{Arc, Weak};

use chrono::{DateTime, Utc};
use phoneguard_core::Store;
use phoneguard_core::StoreError;
use phoneguard_core::suppliers::{
    Capability, CredentialCipher, SupplierConfig, SupplierPatch, SupplierRecord, SupplierStore,
};
use phoneguard_core::verify::Outbox;
use serde::Serialize;
use serde_json::Value;

use crate::messaging::Directory;
use crate::router::{RouteHealth, Router};
use crate::{AdapterContext, BuildError, build};

/// Errors of supplier management.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A field is invalid; names it.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Credentials were given but no master key is configured.
    #[error(
        "credentials are stored encrypted under the master key, and none is configured: \
         restart the server with PHONEGUARD_MASTER_KEY set to 32 random bytes \
         (e.g. `openssl rand -hex 32`), and keep that key"
    )]
    NoMasterKey,
    /// No supplier with that id.
    #[error("supplier {0} not found")]
    NotFound(String),
    /// The id is taken.
    #[error("a supplier with id {0:?} exists already")]
    Exists(String),
    /// Stored credentials do not decrypt.
    #[error(transparent)]
    Crypto(#[from] phoneguard_core::suppliers::CryptoError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<BuildError> for RegistryError {
    fn from(e: BuildError) -> Self {
        RegistryError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

/// A supplier as the admin API shows it: never its credentials.
#[derive(Debug, Clone, Serialize)]
pub struct SupplierView {
    /// Slug.
    pub id: String,
    /// Adapter kind.
    pub kind: String,
    /// Capabilities.
    pub capabilities: Vec<Capability>,
    /// Carriers covered.
    pub carriers: Vec<String>,
    /// Weight.
    pub weight: u32,
    /// Price per call, milli-yuan.
    pub price_milli: u32,
    /// Enabled.
    pub enabled: bool,
    /// Options.
    pub options: Value,
    /// Whether credentials are stored (they are write-only).
    pub has_credentials: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Live breaker and health on this node.
    pub health: Option<RouteHealth>,
}

/// Supplier management.
pub struct Registry {
    store: Arc<dyn SupplierStore>,
    cipher: Option<CredentialCipher>,
    ctx: AdapterContext,
    router: Arc<Router>,
    /// Ids and change times of the suppliers the router was last built from.
    built_from: std::sync::Mutex<Vec<(String, i64)>>,
    /// Held from reading the table to handing the routes over, so two reloads
    /// (an admin call's and the background one's) apply in the order they read:
    /// a slow reload that read the table before a change can no longer put the
    /// old routes back after the change's own reload.
    reloading: tokio::sync::Mutex<()>,
    /// Messaging directories over the same table, refreshed on every rebuild.
    directories: std::sync::Mutex<Vec<Weak<Directory>>>,
}

/// What identifies a version of the supplier table: ids and change times.
fn fingerprint(records: &[phoneguard_core::suppliers::SupplierRecord]) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = records
        .iter()
        .map(|r| (r.id.clone(), r.updated_at.timestamp_micros()))
        .collect();
    v.sort();
    v
}

impl Registry {
    /// The service; `cipher` is `None` without a master key.
    pub fn new(
        store: Arc<dyn SupplierStore>,
        cipher: Option<CredentialCipher>,
        ctx: AdapterContext,
        router: Arc<Router>,
    ) -> Self {
        Registry {
            store,
            cipher,
            ctx,
            router,
            built_from: std::sync::Mutex::new(vec![]),
            reloading: tokio::sync::Mutex::new(()),
            directories: std::sync::Mutex::new(vec![]),
        }
    }

    /// The messaging suppliers of this registry's table (credentials opened
    /// with its master key), for the verification service. Every change made
    /// through this registry refreshes the directory before it is answered;
    /// changes made through other nodes reach it within its refresh period.
    pub fn messaging_directory(&self, outbox: Arc<Outbox>) -> Arc<Directory> {
        let directory = Arc::new(Directory::new(
            self.store.clone(),
            self.cipher.clone(),
            outbox,
        ));
        self.directories
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::downgrade(&directory));
        directory
    }

    /// Keyed hashing of sandbox numbers, names and ID numbers.
    pub fn hash_key(&self) -> &phoneguard_core::secrets::HashKey {
        &self.ctx.hash_key
    }

    /// The cipher of the master key (`None` without one): supplier
    /// credentials and tenant AccessKey secrets.
    pub fn cipher(&self) -> Option<&CredentialCipher> {
        self.cipher.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SupplierStore> {
        &self.store
    }

    /// The router it feeds.
    pub fn router(&self) -> &Arc<Router> {
        &self.router
    }

    fn view(&self, r: &SupplierRecord) -> SupplierView {
        SupplierView {
            id: r.id.clone(),
            kind: r.kind.clone(),
            capabilities: r.capabilities.clone(),
            carriers: r.carriers.clone(),
            weight: r.weight,
            price_milli: r.price_milli,
            enabled: r.enabled,
            options: r.options.clone(),
            has_credentials: r.credentials.is_some(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            health: self.router.health(&r.id),
        }
    }

    fn open(&self, r: &SupplierRecord) -> Result<SupplierConfig, RegistryError> {
        let credentials = match (&r.credentials, &self.cipher) {
            (None, _) => None,
            (Some(blob), Some(c)) => Some(c.open(&r.id, blob)?),
            (Some(_), None) => return Err(RegistryError::NoMasterKey),
        };
        Ok(SupplierConfig {
            id: r.id.clone(),
            kind: r.kind.clone(),
            capabilities: r.capabilities.clone(),
            carriers: r.carriers.clone(),
            weight: r.weight,
            price_milli: r.price_milli,
            enabled: r.enabled,
            options: r.options.clone(),
            credentials,
        })
    }

    fn seal(
        &self,
        c: &SupplierConfig,
        created_at: DateTime<Utc>,
    ) -> Result<SupplierRecord, RegistryError> {
        c.validate().map_err(|(f, m)| RegistryError::Invalid {
            field: f.into(),
            message: m,
        })?;
        build(c, &self.ctx)?;
        let credentials = match (&c.credentials, &self.cipher) {
            (None, _) => None,
            (Some(v), Some(cipher)) => Some(cipher.seal(&c.id, v)?),
            (Some(_), None) => return Err(RegistryError::NoMasterKey),
        };
        Ok(SupplierRecord {
            id: c.id.clone(),
            kind: c.kind.clone(),
            capabilities: c.capabilities.clone(),
            carriers: c.carriers.clone(),
            weight: c.weight,
            price_milli: c.price_milli,
            enabled: c.enabled,
            options: c.options.clone(),
            credentials,
            created_at,
            updated_at: Utc::now(),
        })
    }

    /// Rebuilds the router from the store. A supplier that cannot be built
    /// (credentials that do not decrypt, an option no longer valid) is left out and logged.
    pub async fn reload(&self) -> Result<(), RegistryError> {
        let _one_at_a_time = self.reloading.lock().await;
        let records = self.store.list_suppliers().await?;
        self.rebuild(records);
        Ok(())
    }

    /// Rebuilds the router only when the stored suppliers changed since it was
    /// last built (by another node's admin call, say); returns whether it did.
    /// Every node runs this every few seconds, so a change made through any
    /// node reaches the routing of all of them.
    pub async fn reload_if_changed(&self) -> Result<bool, RegistryError> {
        let _one_at_a_time = self.reloading.lock().await;
        let records = self.store.list_suppliers().await?;
        let unchanged =
            *self.built_from.lock().unwrap_or_else(|p| p.into_inner()) == fingerprint(&records);
        if unchanged {
            return Ok(false);
        }
        self.rebuild(records);
        Ok(true)
    }

    fn rebuild(&self, records: Vec<phoneguard_core::suppliers::SupplierRecord>) {
        let seen = fingerprint(&records);
        let mut built = vec![];
        for r in records {
            match self.open(&r).and_then(|c| Ok((build(&c, &self.ctx)?, c))) {
                Ok((s, c)) => built.push((c, s)),
                Err(e) => {
                    tracing::error!(supplier = %r.id, error = %e, "supplier left out of routing")
                }
            }
        }
        self.router.set_routes(built);
        self.directories
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|d| d.upgrade().inspect(|d| d.invalidate()).is_some());
        *self.built_from.lock().unwrap_or_else(|p| p.into_inner()) = seen;
    }

    /// Every supplier.
    pub async fn list(&self) -> Result<Vec<SupplierView>, RegistryError> {
        Ok(self
            .store
            .list_suppliers()
            .await?
            .iter()
            .map(|r| self.view(r))
            .collect())
    }

    /// One supplier.
    pub async fn get(&self, id: &str) -> Result<SupplierView, RegistryError> {
        let r = self
            .store
            .get_supplier(id)
            .await?
            .ok_or_else(|| RegistryError::NotFound(id.into()))?;
        Ok(self.view(&r))
    }

    /// Adds a supplier.
    pub async fn create(&self, c: SupplierConfig) -> Result<SupplierView, RegistryError> {
        let r = self.seal(&c, Utc::now())?;
        match self.store.insert_supplier(&r).await {
            Err(StoreError::Conflict(_)) => return Err(RegistryError::Exists(c.id)),
            other => other?,
        }
        tracing::info!(supplier = %r.id, kind = %r.kind, "supplier created");
        self.reload().await?;
        Ok(self.view(&r))
    }

    /// Changes a supplier.
    pub async fn update(
        &self,
        id: &str,
        patch: SupplierPatch,
    ) -> Result<SupplierView, RegistryError> {
        let old = self
            .store
            .get_supplier(id)
            .await?
            .ok_or_else(|| RegistryError::NotFound(id.into()))?;
        let mut c = self.open(&old)?;
        patch.apply(&mut c);
        let r = self.seal(&c, old.created_at)?;
        if !self.store.update_supplier(&r).await? {
            return Err(RegistryError::NotFound(id.into()));
        }
        tracing::info!(supplier = %r.id, enabled = r.enabled, "supplier updated");
        self.reload().await?;
        Ok(self.view(&r))
    }

    /// Deletes a supplier.
    pub async fn delete(&self, id: &str) -> Result<(), RegistryError> {
        if !self.store.delete_supplier(id).await? {
            return Err(RegistryError::NotFound(id.into()));
        }
        tracing::info!(supplier = %id, "supplier deleted");
        self.reload().await
    }

    /// Writes each configured seed once (tracked per id in `meta`, so a seed the
    /// operator deleted or changed stays so), then loads the router.
    pub async fn seed(
        &self,
        meta: &dyn Store,
        seeds: &[SupplierConfig],
    ) -> Result<(), RegistryError> {
        for s in seeds {
            let key = format!("supplier_seeded:{}", s.id);
            if meta.get_meta(&key).await?.is_some() {
                continue;
            }
            if self.store.get_supplier(&s.id).await?.is_none() {
                let r = self.seal(s, Utc::now())?;
                match self.store.insert_supplier(&r).await {
                    Err(StoreError::Conflict(_)) | Ok(()) => {}
                    Err(e) => return Err(e.into()),
                }
                tracing::info!(supplier = %s.id, kind = %s.kind, "supplier seeded from config");
            }
            meta.put_meta_if_absent(&key, &Utc::now().to_rfc3339())
                .await?;
        }
        self.reload().await
    }
}

/// Builds the supplier services at start: the cipher from the master key, the
/// router, the configured seeds, and a check that every stored credential
/// decrypts (credentials without a master key, or under another key, stop the start
/// with a message naming the supplier).
pub async fn start(
    store: Arc<dyn Store>,
    master_key: Option<&str>,
    router: &phoneguard_core::suppliers::RouterConfig,
    seeds: &[SupplierConfig],
    hash_key: phoneguard_core::secrets::HashKey,
) -> Result<Arc<Registry>, String> {
    let cipher = match master_key {
        Some(k) => Some(CredentialCipher::new(
            &phoneguard_core::secrets::decode_master_key(k).ok_or(
                "config key `master_key`: must be 32 bytes as 64 hex characters or base64",
            )?,
        )),
        None => None,
    };
    let suppliers: Arc<dyn SupplierStore> = store.clone();
    let ctx = AdapterContext::new(hash_key, suppliers.clone());
    let router = Arc::new(Router::new(router.clone(), suppliers.clone()));
    let registry = Arc::new(Registry::new(suppliers.clone(), cipher, ctx, router));
    for r in suppliers
        .list_suppliers()
        .await
        .map_err(|e| e.to_string())?
    {
        match registry.open(&r) {
            Ok(_) => {}
            Err(RegistryError::NoMasterKey) => {
                return Err(format!(
                    "supplier {:?} has stored credentials, encrypted under the master key: \
                     set PHONEGUARD_MASTER_KEY (config key `master_key`)",
                    r.id
                ));
            }
            Err(e) => {
                return Err(format!(
                    "{e}; check PHONEGUARD_MASTER_KEY (config key `master_key`)"
                ));
            }
        }
    }
    registry
        .seed(store.as_ref(), seeds)
        .await
        .map_err(|e| format!("config key `suppliers.seed`: {e}"))?;
    Ok(registry)
}
