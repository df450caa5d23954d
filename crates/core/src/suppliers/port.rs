//! The ports: [`Supplier`] (one upstream account that answers queries) and
//! [`SupplierStore`] (supplier configs, sandbox subscribers, call records).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::access_keys::AccessKeyRecord;
use super::error::SupplierError;
use super::model::{
    Answer, CallRecord, CallStats, Query, SandboxSubscriber, SupplierRecord, TenantCapabilityCount,
};
use crate::store::error::StoreResult;

/// One account at one upstream vendor, as an adapter.
#[async_trait]
pub trait Supplier: Send + Sync + 'static {
    /// Asks the vendor. The router bounds the call with its deadline; an adapter
    /// also bounds its own I/O.
    async fn call(&self, query: &Query) -> Result<Answer, SupplierError>;
}

/// Where supplier calls are recorded for monitoring and billing (the router's
/// background writer): the verification service records its sends there too,
/// so a messaging supplier's calls show beside every other supplier's.
pub trait CallLog: Send + Sync + 'static {
    /// Queues a record; never waits on the database.
    fn record(&self, record: CallRecord);
}

/// Durable supplier state.
#[async_trait]
pub trait SupplierStore: Send + Sync + 'static {
    /// Every supplier, by id.
    async fn list_suppliers(&self) -> StoreResult<Vec<SupplierRecord>>;
    /// One supplier.
    async fn get_supplier(&self, id: &str) -> StoreResult<Option<SupplierRecord>>;
    /// Inserts a supplier; `Conflict` when the id is taken.
    async fn insert_supplier(&self, record: &SupplierRecord) -> StoreResult<()>;
    /// Replaces a supplier; `false` when there is none with that id.
    async fn update_supplier(&self, record: &SupplierRecord) -> StoreResult<bool>;
    /// Deletes a supplier; `false` when there is none.
    async fn delete_supplier(&self, id: &str) -> StoreResult<bool>;

    /// Inserts or replaces a sandbox subscriber.
    async fn put_sandbox_subscriber(&self, sub: &SandboxSubscriber) -> StoreResult<()>;
    /// The sandbox subscriber of a tenant's number (by keyed hash).
    async fn get_sandbox_subscriber(
        &self,
        tenant_id: &str,
        number_hash: &str,
    ) -> StoreResult<Option<SandboxSubscriber>>;

    /// Appends call records (one transaction).
    async fn insert_call_records(&self, records: &[CallRecord]) -> StoreResult<()>;
    /// Per-supplier figures of calls since `since`.
    async fn supplier_stats(&self, since: DateTime<Utc>) -> StoreResult<Vec<CallStats>>;
    /// Calls per tenant and capability since `since`.
    async fn tenant_stats(&self, since: DateTime<Utc>) -> StoreResult<Vec<TenantCapabilityCount>>;

    /// Marks a sandbox carrier token (by keyed hash) as exchanged: `true` the
    /// first time, `false` when it was marked before. Marks past `expires_at`
    /// may be forgotten (the token is refused as expired by then).
    async fn consume_carrier_token(
        &self,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let _ = (token_hash, expires_at);
        Err(unsupported())
    }

    /// Inserts an AccessKey pair.
    async fn insert_access_key(&self, key: &AccessKeyRecord) -> StoreResult<()> {
        let _ = key;
        Err(unsupported())
    }

    /// An AccessKey pair by id (revoked ones too).
    async fn get_access_key(&self, id: &str) -> StoreResult<Option<AccessKeyRecord>> {
        let _ = id;
        Err(unsupported())
    }

    /// A tenant's AccessKey pairs, oldest first.
    async fn list_access_keys(&self, tenant_id: &str) -> StoreResult<Vec<AccessKeyRecord>> {
        let _ = tenant_id;
        Err(unsupported())
    }

    /// Revokes a tenant's pair; `false` when it has none with that id (or it
    /// was revoked before).
    async fn revoke_access_key(
        &self,
        tenant_id: &str,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let _ = (tenant_id, id, at);
        Err(unsupported())
    }
}

fn unsupported() -> crate::StoreError {
    crate::StoreError::Other("this store keeps no carrier tokens or access keys".into())
}
