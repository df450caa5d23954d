//! The [`TwilioStore`] port: Verify services.

use async_trait::async_trait;

use super::model::VerifyServiceRecord;
use crate::store::error::StoreResult;

/// Durable Verify services, always scoped by tenant.
#[async_trait]
pub trait TwilioStore: Send + Sync + 'static {
    /// Inserts a service.
    async fn insert_verify_service(&self, s: &VerifyServiceRecord) -> StoreResult<()>;
    /// A service of the tenant.
    async fn get_verify_service(
        &self,
        tenant_id: &str,
        sid: &str,
    ) -> StoreResult<Option<VerifyServiceRecord>>;
    /// The tenant's services, oldest first, at most `limit`.
    async fn list_verify_services(
        &self,
        tenant_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<VerifyServiceRecord>>;
    /// Replaces name, code length and update time; `false` when there is no such service.
    async fn update_verify_service(&self, s: &VerifyServiceRecord) -> StoreResult<bool>;
    /// Deletes a service of the tenant; `false` when there was none.
    async fn delete_verify_service(&self, tenant_id: &str, sid: &str) -> StoreResult<bool>;
    /// The id of the newest verification (any status) of a tenant's phone
    /// and purpose: a check by `To` of one that is no longer pending says why.
    async fn latest_verification_id(
        &self,
        tenant_id: &str,
        phone: &str,
        purpose: &str,
    ) -> StoreResult<Option<String>>;
}
