//! [`Tenants`]: tenant and key management and the per-request key resolution.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::memory::KeyCache;
use super::model::{IssuedKey, TenantError};
use crate::ids::new_id;
use crate::secrets::{DomainMac, HashKey, constant_time_eq, new_api_key};
use crate::store::Store;
use crate::store::error::{StoreError, StoreResult};
use crate::tenants::{ApiKey, KeyMode, Principal, Tenant};

/// Hash domain of API keys.
const KEY_DOMAIN: &str = "api_key";
/// Hash domain of the admin token.
const ADMIN_DOMAIN: &str = "admin_token";
/// `meta` key under which the admin token's hash is kept.
pub const META_ADMIN_TOKEN_HASH: &str = "admin_token_hash";

/// Tenant and key management plus the per-request key → tenant resolution,
/// served from an in-memory cache so the hot path does no database round trip.
pub struct Tenants {
    store: Arc<dyn Store>,
    hash_key: HashKey,
    /// `hash_key` prepared for [`KEY_DOMAIN`].
    key_mac: DomainMac,
    cache: KeyCache,
}

impl Tenants {
    /// Creates the service; resolved keys are cached for `cache_ttl` (revocation on
    /// this node invalidates at once; other nodes see it within the TTL).
    pub fn new(store: Arc<dyn Store>, hash_key: HashKey, cache_ttl: Duration) -> Self {
        Tenants {
            store,
            key_mac: hash_key.domain_mac(KEY_DOMAIN),
            hash_key,
            cache: KeyCache::new(100_000, cache_ttl),
        }
    }

    /// The store behind this service.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Validates a tenant name: 1–64 characters, no control characters, trimmed.
    pub fn validate_name(name: &str) -> Result<String, TenantError> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err(TenantError::Invalid("name must not be empty".into()));
        }
        if trimmed.chars().count() > 64 {
            return Err(TenantError::Invalid(
                "name must be at most 64 characters".into(),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(TenantError::Invalid(
                "name must not contain control characters".into(),
            ));
        }
        Ok(trimmed.to_string())
    }

    /// Creates a tenant.
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, TenantError> {
        let name = Self::validate_name(name)?;
        let tenant = Tenant {
            id: new_id("ten"),
            name: name.clone(),
            created_at: Utc::now(),
        };
        match self.store.create_tenant(&tenant).await {
            Ok(()) => Ok(tenant),
            Err(StoreError::Conflict(_)) => Err(TenantError::NameTaken(name)),
            Err(e) => Err(e.into()),
        }
    }

    /// Issues a new key for a tenant; the key is in the result and nowhere else.
    pub async fn create_key(
        &self,
        tenant_id: &str,
        mode: KeyMode,
    ) -> Result<IssuedKey, TenantError> {
        if self.store.get_tenant(tenant_id).await?.is_none() {
            return Err(TenantError::NotFound(format!("tenant {tenant_id}")));
        }
        let key = new_api_key(mode.key_prefix());
        let record = ApiKey {
            id: new_id("key"),
            tenant_id: tenant_id.to_string(),
            mode,
            hash: self.hash_key.hash(KEY_DOMAIN, &key),
            hint: format!("{}…", &key[..mode.key_prefix().len() + 4]),
            created_at: Utc::now(),
            revoked_at: None,
        };
        self.store.create_api_key(&record).await?;
        Ok(IssuedKey { record, key })
    }

    /// Revokes a key; takes effect on this node at once.
    pub async fn revoke_key(&self, key_id: &str) -> Result<ApiKey, TenantError> {
        let key = self
            .store
            .revoke_api_key(key_id, Utc::now())
            .await?
            .ok_or_else(|| TenantError::NotFound(format!("key {key_id}")))?;
        let mut mac = [0u8; 32];
        if hex::decode_to_slice(&key.hash, &mut mac).is_ok() {
            self.cache.invalidate(&mac);
        }
        Ok(key)
    }

    /// Resolves a presented API key, `None` when it is unknown, revoked or malformed.
    pub async fn authenticate(&self, presented: &str) -> StoreResult<Option<Principal>> {
        if !(presented.starts_with("pk_test_") || presented.starts_with("pk_live_"))
            || presented.len() > 128
        {
            return Ok(None);
        }
        let mac = self.key_mac.mac(presented.as_bytes());
        if let Some(hit) = self.cache.get(&mac) {
            return Ok(hit);
        }
        let hash = hex::encode(mac);
        let found = self.store.find_api_key_by_hash(&hash).await?;
        let principal = found
            .filter(|k| {
                k.revoked_at.is_none() && constant_time_eq(k.hash.as_bytes(), hash.as_bytes())
            })
            .map(|k| Principal {
                tenant_id: k.tenant_id,
                key_id: k.id,
                mode: k.mode,
            });
        self.cache.insert(mac, principal.clone());
        Ok(principal)
    }

    /// On an empty database: creates tenant `default` with one test key and returns
    /// the key (to print once). `None` when tenants exist or another node won the race.
    pub async fn bootstrap(&self) -> Result<Option<IssuedKey>, TenantError> {
        if self.store.count_tenants().await? > 0 {
            return Ok(None);
        }
        let tenant = match self.create_tenant("default").await {
            Ok(t) => t,
            Err(TenantError::NameTaken(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(self.create_key(&tenant.id, KeyMode::Test).await?))
    }

    /// Settles the admin token: with a configured token, its hash replaces the stored
    /// one (kept for later starts without it) and, when that is a change, every
    /// dashboard session made with the old token ends; without, the stored hash
    /// stays, or on first start a token is generated and returned (to print once).
    /// Returns the hash to check requests against and the generated token, if any.
    pub async fn settle_admin_token(
        &self,
        configured: Option<&str>,
    ) -> StoreResult<(String, Option<String>)> {
        if let Some(token) = configured {
            let hash = self.hash_key.hash(ADMIN_DOMAIN, token);
            let stored = self.store.get_meta(META_ADMIN_TOKEN_HASH).await?;
            if stored.as_deref() != Some(hash.as_str()) {
                // Sessions first: a crash in between rotates again at the next start.
                let ended = self.store.delete_all_dashboard_sessions().await?;
                self.store.put_meta(META_ADMIN_TOKEN_HASH, &hash).await?;
                if stored.is_some() {
                    tracing::warn!(
                        sessions_ended = ended,
                        "admin token rotated: the old token and its dashboard sessions no longer work"
                    );
                }
            }
            return Ok((hash, None));
        }
        if let Some(hash) = self.store.get_meta(META_ADMIN_TOKEN_HASH).await? {
            return Ok((hash, None));
        }
        let token = format!("adm_{}", crate::secrets::random_base62(40));
        let hash = self.hash_key.hash(ADMIN_DOMAIN, &token);
        let stored = self
            .store
            .put_meta_if_absent(META_ADMIN_TOKEN_HASH, &hash)
            .await?;
        if stored == hash {
            Ok((hash, Some(token)))
        } else {
            Ok((stored, None))
        }
    }

    /// Whether a presented token is the admin token (constant time).
    pub fn is_admin_token(&self, presented: &str, admin_hash: &str) -> bool {
        presented.len() <= 256 && self.hash_key.verify(ADMIN_DOMAIN, presented, admin_hash)
    }
}
