//! The [`DeviceStore`] port: publishable keys and issued devices.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{Device, PublishableKey};
use crate::store::error::StoreResult;

/// Durable publishable keys (hashes only) and devices.
#[async_trait]
pub trait DeviceStore: Send + Sync + 'static {
    /// Inserts a publishable key; `Conflict` on a duplicate hash or unknown tenant.
    async fn create_publishable_key(&self, key: &PublishableKey) -> StoreResult<()>;
    /// The publishable key with this hash, revoked or not.
    async fn find_publishable_key_by_hash(&self, hash: &str)
    -> StoreResult<Option<PublishableKey>>;
    /// The publishable keys of a tenant, oldest first.
    async fn list_publishable_keys(&self, tenant_id: &str) -> StoreResult<Vec<PublishableKey>>;
    /// Every origin some live (unrevoked) publishable key allows.
    async fn publishable_origins(&self) -> StoreResult<Vec<String>>;
    /// Marks a publishable key revoked (idempotent); `None` when there is none.
    async fn revoke_publishable_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<PublishableKey>>;

    /// A tenant's device.
    async fn get_device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Device>>;
    /// Inserts the device, or updates its fingerprint, signals and last sighting;
    /// records the fingerprint as seen with it at `last_seen`.
    async fn put_device(&self, device: &Device) -> StoreResult<()>;
    /// Up to `limit` distinct devices of the tenant seen with this fingerprint
    /// since `since`, most recent first.
    async fn devices_with_fingerprint(
        &self,
        tenant_id: &str,
        fingerprint: &str,
        since: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<String>>;
    /// Distinct fingerprints seen with a device.
    async fn device_fingerprint_count(&self, tenant_id: &str, id: &str) -> StoreResult<i64>;
}
