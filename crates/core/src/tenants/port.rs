//! The [`TenantStore`] port: tenants and their API keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{ApiKey, Tenant};
use crate::store::error::StoreResult;

/// Durable tenants and keys (keys only as keyed hashes).
#[async_trait]
pub trait TenantStore: Send + Sync + 'static {
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
