//! [`TwilioServices`]: Verify services of a tenant, and the app name a
//! Twilio-path verification's messages carry (its service's `FriendlyName`;
//! a create's `CustomFriendlyName` goes with the start request instead).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{ServiceInput, VerifyServiceRecord};
use super::{id_of, is_sid, sid_of};
use crate::ids::new_id;
use crate::store::Store;
use crate::verify::VerifyError;
use crate::verify::port::AppNames;

/// Most services one tenant may have.
pub const MAX_SERVICES: u32 = 1000;
/// Longest `FriendlyName` (Twilio's limit).
pub const MAX_FRIENDLY_NAME: usize = 30;
/// How long a node reuses a service it read (name, code length, existence):
/// a change made through another node shows here within this time; this
/// node's own updates and deletes show at once.
pub const SERVICE_TTL: Duration = Duration::from_secs(30);
/// Most services a node keeps cached.
const SERVICE_CACHE: u64 = 10_000;

/// Checks a `CustomFriendlyName` (the same rule as `FriendlyName`).
pub fn check_custom_name(name: &str) -> Result<(), VerifyError> {
    check_name("CustomFriendlyName", name)
}

fn check_name(field: &'static str, n: &str) -> Result<(), VerifyError> {
    if n.trim().is_empty()
        || n.chars().count() > MAX_FRIENDLY_NAME
        || n.chars().any(char::is_control)
    {
        return Err(VerifyError::invalid(
            field,
            format!("{field} must be 1 to {MAX_FRIENDLY_NAME} printable characters"),
        ));
    }
    Ok(())
}

/// Verify services: create, read, list, update, delete, all per tenant.
pub struct TwilioServices {
    store: Arc<dyn Store>,
    /// `tenant \u{1f} sid` → the service (`None`: no such service), for
    /// [`SERVICE_TTL`]: every Twilio-path start and check reads its service.
    services: moka::sync::Cache<String, Option<VerifyServiceRecord>>,
}

impl TwilioServices {
    /// The service over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        TwilioServices {
            store,
            services: moka::sync::Cache::builder()
                .max_capacity(SERVICE_CACHE)
                .time_to_live(SERVICE_TTL)
                .build(),
        }
    }

    /// A service, read through the cache.
    async fn cached(
        &self,
        tenant_id: &str,
        sid: &str,
    ) -> Result<Option<VerifyServiceRecord>, VerifyError> {
        let key = service_key(tenant_id, sid);
        if let Some(hit) = self.services.get(&key) {
            return Ok(hit);
        }
        let found = self.store.get_verify_service(tenant_id, sid).await?;
        self.services.insert(key, found.clone());
        Ok(found)
    }

    fn check(input: &ServiceInput) -> Result<(), VerifyError> {
        if let Some(n) = &input.friendly_name {
            check_name("FriendlyName", n)?;
        }
        if let Some(l) = input.code_length
            && !(4..=10).contains(&l)
        {
            return Err(VerifyError::invalid(
                "CodeLength",
                "CodeLength must be 4 to 10",
            ));
        }
        Ok(())
    }

    /// Creates a service; `FriendlyName` is required.
    pub async fn create(
        &self,
        tenant_id: &str,
        input: ServiceInput,
    ) -> Result<VerifyServiceRecord, VerifyError> {
        Self::check(&input)?;
        let Some(name) = input.friendly_name else {
            return Err(VerifyError::invalid(
                "FriendlyName",
                "FriendlyName is required",
            ));
        };
        let existing = self
            .store
            .list_verify_services(tenant_id, MAX_SERVICES)
            .await?;
        if existing.len() as u32 >= MAX_SERVICES {
            return Err(VerifyError::invalid(
                "FriendlyName",
                format!("a tenant may have at most {MAX_SERVICES} services; delete one first"),
            ));
        }
        let now = now_s();
        let s = VerifyServiceRecord {
            sid: sid_of("VA", &new_id("va")).unwrap_or_default(),
            tenant_id: tenant_id.to_string(),
            friendly_name: name.trim().to_string(),
            code_length: input.code_length.unwrap_or(6),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_verify_service(&s).await?;
        self.services.invalidate(&service_key(tenant_id, &s.sid));
        Ok(s)
    }

    /// A service of the tenant (cached for [`SERVICE_TTL`]); `NotFound` for
    /// another tenant's or a malformed sid.
    pub async fn get(
        &self,
        tenant_id: &str,
        sid: &str,
    ) -> Result<VerifyServiceRecord, VerifyError> {
        if !is_sid(sid, "VA") {
            return Err(VerifyError::NotFound);
        }
        self.cached(tenant_id, sid)
            .await?
            .ok_or(VerifyError::NotFound)
    }

    /// The tenant's services, oldest first.
    pub async fn list(&self, tenant_id: &str) -> Result<Vec<VerifyServiceRecord>, VerifyError> {
        Ok(self
            .store
            .list_verify_services(tenant_id, MAX_SERVICES)
            .await?)
    }

    /// Changes name and code length.
    pub async fn update(
        &self,
        tenant_id: &str,
        sid: &str,
        input: ServiceInput,
    ) -> Result<VerifyServiceRecord, VerifyError> {
        let mut s = self.get(tenant_id, sid).await?;
        Self::check(&input)?;
        if let Some(n) = input.friendly_name {
            s.friendly_name = n.trim().to_string();
        }
        if let Some(l) = input.code_length {
            s.code_length = l;
        }
        s.updated_at = now_s().max(s.created_at);
        if !self.store.update_verify_service(&s).await? {
            return Err(VerifyError::NotFound);
        }
        self.services.invalidate(&service_key(tenant_id, sid));
        Ok(s)
    }

    /// The newest verification id (any status) of a phone on a service.
    pub async fn latest_verification(
        &self,
        tenant_id: &str,
        phone: &str,
        service_sid: &str,
    ) -> Result<Option<String>, VerifyError> {
        Ok(self
            .store
            .latest_verification_id(tenant_id, phone, service_sid)
            .await?)
    }

    /// Deletes a service (its verifications stay, as `/v1` records).
    pub async fn delete(&self, tenant_id: &str, sid: &str) -> Result<(), VerifyError> {
        if !is_sid(sid, "VA") || !self.store.delete_verify_service(tenant_id, sid).await? {
            return Err(VerifyError::NotFound);
        }
        self.services.invalidate(&service_key(tenant_id, sid));
        Ok(())
    }
}

fn service_key(tenant_id: &str, sid: &str) -> String {
    format!("{tenant_id}\u{1f}{sid}")
}

/// Now, to the second (Twilio's dates have no fraction).
fn now_s() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_else(Utc::now)
}

#[async_trait]
impl AppNames for TwilioServices {
    async fn app_name(&self, tenant_id: &str, purpose: &str) -> Option<String> {
        // Only a service sid is a Twilio-path purpose; `/v1` ones cost nothing.
        if !is_sid(purpose, "VA") {
            return None;
        }
        match self.cached(tenant_id, purpose).await {
            Ok(found) => found.map(|s| s.friendly_name),
            Err(e) => {
                tracing::warn!(error = %e, "verify service name unavailable; the default app name is used");
                None
            }
        }
    }
}

/// The `ver_…` id of a `VE…` sid.
pub fn verification_id(sid: &str) -> Option<String> {
    id_of(sid, "VE", "ver")
}
