//! The `Store` port: durable state behind one trait, one implementation per database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub mod error;

pub use error::{StoreError, StoreResult};

use crate::dashboard::DashboardStore;
use crate::model::{ApiKey, Tenant};
use crate::ops::OpsStore;
use crate::risk::RiskStore;
use crate::suppliers::SupplierStore;
use crate::verify::VerifyStore;

/// Durable state: tenants, keys, settings (and, in later modules, suppliers,
/// verifications, risk results, call records, usage).
///
/// Implementations: SQLite (embedded default) and PostgreSQL (several nodes). Every
/// method is a single statement or a short transaction; none holds a lock across
/// an await on anything but the database.
#[async_trait]
pub trait Store:
    RiskStore + SupplierStore + VerifyStore + OpsStore + DashboardStore + Send + Sync + 'static
{
    /// Cheap round trip proving the database answers (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    /// Reads a server setting.
    async fn get_meta(&self, key: &str) -> StoreResult<Option<String>>;
    /// Stores `value` under `key` unless a value is there already; returns the value
    /// that is stored afterwards (so concurrent first starts agree on one).
    async fn put_meta_if_absent(&self, key: &str, value: &str) -> StoreResult<String>;
    /// Stores `value` under `key`, replacing any value there.
    async fn put_meta(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Inserts a tenant; `Conflict` when the name is taken.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    /// One tenant by id.
    async fn get_tenant(&self, id: &str) -> StoreResult<Option<Tenant>>;
    /// All tenants, oldest first.
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;
    /// How many tenants exist.
    async fn count_tenants(&self) -> StoreResult<i64>;

    /// Inserts a key (its hash only); `Conflict` on a duplicate hash or unknown tenant.
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()>;
    /// The key with this hash, revoked or not.
    async fn find_api_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>>;
    /// The keys of a tenant, oldest first.
    async fn list_api_keys(&self, tenant_id: &str) -> StoreResult<Vec<ApiKey>>;
    /// Marks a key revoked (idempotent: an earlier revocation time is kept) and
    /// returns it; `None` when there is no such key.
    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> StoreResult<Option<ApiKey>>;
}
