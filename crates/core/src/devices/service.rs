//! [`DeviceService`]: publishable keys, issuing device ids and tokens, and
//! reading tokens back for risk events.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use moka::sync::Cache;

use super::model::{Device, DeviceError, DeviceIssued, PublishableKey, SignalDoc};
use super::signals::{canonical, read_signals, validate};
use super::token::{self, DeviceClaims, TOKEN_TTL_S};
use crate::ids::new_id;
use crate::secrets::{DomainMac, HashKey, constant_time_eq, new_api_key};
use crate::store::Store;
use crate::store::error::StoreResult;

/// Hash domain of publishable keys.
const KEY_DOMAIN: &str = "publishable_key";
/// Hash domain of fingerprints.
const FP_DOMAIN: &str = "device_fingerprint";
/// Key domain of device tokens.
const TOKEN_DOMAIN: &str = "device_token";
/// A device lost its storage: matched back by fingerprint if seen within this many days.
pub const MATCH_WINDOW_DAYS: i64 = 30;
/// Least fingerprint strength (see [`super::fingerprint_score`]) to match back.
pub const MIN_MATCH_SCORE: u32 = 8;
/// A known device's last sighting is written again only after this long.
const TOUCH_AFTER_S: i64 = 3600;
/// Most origins per key.
const MAX_ORIGINS: usize = 20;
/// How long the set of allowed origins (for CORS preflights) is cached.
const ORIGINS_TTL: Duration = Duration::from_secs(10);
/// How long this node keeps a device, and the devices seen with a
/// fingerprint, after reading or writing them. Another node's registration of
/// the same fingerprint is seen here at most this late (match-back and the
/// farm count may lag by that much across nodes; one node is always exact).
const DEVICE_CACHE_TTL: Duration = Duration::from_secs(30);
/// Most devices (and as many fingerprints) a node keeps.
const DEVICE_CACHE_ENTRIES: u64 = 200_000;
/// Most devices read per fingerprint (a farm beyond this is a farm anyway).
const MAX_SHARING: usize = 1000;

/// (tenant, device id) or (tenant, fingerprint).
type TenantKey = (String, String);

fn device_cache<V: Clone + Send + Sync + 'static>() -> Cache<TenantKey, V> {
    Cache::builder()
        .max_capacity(DEVICE_CACHE_ENTRIES)
        .time_to_live(DEVICE_CACHE_TTL)
        .build()
}

/// Publishable keys, device ids and device tokens.
pub struct DeviceService {
    store: Arc<dyn Store>,
    hash_key: HashKey,
    key_mac: DomainMac,
    token_mac: DomainMac,
    keys: Cache<[u8; 32], Option<PublishableKey>>,
    origins: RwLock<Option<(Instant, Arc<HashSet<String>>)>>,
    /// Devices read or written lately (see [`DEVICE_CACHE_TTL`]).
    devices: Cache<TenantKey, Device>,
    /// The devices seen with a fingerprint in the match window, most recent first.
    sharing: Cache<TenantKey, Arc<Vec<String>>>,
    /// Countries of IP addresses, when configured.
    geoip: Option<Arc<crate::geo::GeoIp>>,
}

impl DeviceService {
    /// The service; resolved keys are cached for `cache_ttl` (revocation on
    /// this node invalidates at once).
    pub fn new(store: Arc<dyn Store>, hash_key: HashKey, cache_ttl: Duration) -> Self {
        DeviceService {
            store,
            key_mac: hash_key.domain_mac(KEY_DOMAIN),
            token_mac: hash_key.domain_mac(TOKEN_DOMAIN),
            hash_key,
            keys: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(cache_ttl)
                .build(),
            origins: RwLock::new(None),
            devices: device_cache(),
            sharing: device_cache(),
            geoip: None,
        }
    }

    /// Compares device tokens' time zones with the countries of event IPs
    /// in this table (`None`: never).
    #[must_use]
    pub fn with_geoip(mut self, geoip: Option<Arc<crate::geo::GeoIp>>) -> Self {
        self.geoip = geoip;
        self
    }

    /// Whether a token's browser time zone is of another country than `ip`;
    /// false when either country is unknown (no table, no range, a time zone
    /// of no one country, no or a bad `ip`).
    pub fn timezone_mismatch(&self, claims: &DeviceClaims, ip: Option<&str>) -> bool {
        let (Some(geo), Some(tz)) = (&self.geoip, claims.timezone_country) else {
            return false;
        };
        ip.and_then(|ip| ip.trim().parse().ok())
            .and_then(|ip| geo.country(ip))
            .is_some_and(|cc| cc != tz)
    }

    /// Checks and normalises a list of exact origins (`scheme://host[:port]`).
    pub fn validate_origins(origins: &[String]) -> Result<Vec<String>, DeviceError> {
        let bad = |m: String| DeviceError::Invalid("allowed_origins", m);
        if origins.is_empty() || origins.len() > MAX_ORIGINS {
            return Err(bad(format!(
                "allowed_origins must list 1 to {MAX_ORIGINS} origins (https://shop.example)"
            )));
        }
        let mut out = Vec::with_capacity(origins.len());
        for o in origins {
            let o = o.trim();
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            let ok = rest.is_some_and(|host| {
                !host.is_empty()
                    && host.len() <= 253
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            });
            if !ok {
                return Err(bad(format!(
                    "allowed_origins: {o:?} is not an exact origin: scheme://host[:port], no path, no wildcard"
                )));
            }
            let o = o.to_ascii_lowercase();
            if !out.contains(&o) {
                out.push(o);
            }
        }
        Ok(out)
    }

    /// Issues a publishable key; the key is in the result and nowhere else.
    pub async fn create_key(
        &self,
        tenant_id: &str,
        live: bool,
        allowed_origins: &[String],
    ) -> Result<(PublishableKey, String), DeviceError> {
        let allowed_origins = Self::validate_origins(allowed_origins)?;
        if self.store.get_tenant(tenant_id).await?.is_none() {
            return Err(DeviceError::NotFound(format!("tenant {tenant_id}")));
        }
        let prefix = PublishableKey::prefix(live);
        let key = new_api_key(prefix);
        let record = PublishableKey {
            id: new_id("key"),
            tenant_id: tenant_id.to_string(),
            live,
            hash: self.hash_key.hash(KEY_DOMAIN, &key),
            hint: format!("{}…", &key[..prefix.len() + 4]),
            allowed_origins,
            created_at: Utc::now(),
            revoked_at: None,
        };
        self.store.create_publishable_key(&record).await?;
        self.forget_origins();
        Ok((record, key))
    }

    /// Revokes a publishable key; `None` when there is none with this id.
    pub async fn revoke_key(&self, id: &str) -> StoreResult<Option<PublishableKey>> {
        let key = self.store.revoke_publishable_key(id, Utc::now()).await?;
        if let Some(k) = &key {
            let mut mac = [0u8; 32];
            if hex::decode_to_slice(&k.hash, &mut mac).is_ok() {
                self.keys.invalidate(&mac);
            }
            self.forget_origins();
        }
        Ok(key)
    }

    fn forget_origins(&self) {
        *self.origins.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Resolves a presented publishable key; `None` when unknown, revoked or malformed.
    pub async fn authenticate(&self, presented: &str) -> StoreResult<Option<PublishableKey>> {
        if !(presented.starts_with("pub_test_") || presented.starts_with("pub_live_"))
            || presented.len() > 128
        {
            return Ok(None);
        }
        let mac = self.key_mac.mac(presented.as_bytes());
        if let Some(hit) = self.keys.get(&mac) {
            return Ok(hit);
        }
        let hash = hex::encode(mac);
        let found = self
            .store
            .find_publishable_key_by_hash(&hash)
            .await?
            .filter(|k| {
                k.revoked_at.is_none() && constant_time_eq(k.hash.as_bytes(), hash.as_bytes())
            });
        self.keys.insert(mac, found.clone());
        Ok(found)
    }

    /// Whether some live publishable key allows `origin` (CORS preflights
    /// carry no key, so they are answered for the union of allowed origins).
    pub async fn origin_allowed_anywhere(&self, origin: &str) -> StoreResult<bool> {
        let cached = self
            .origins
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < ORIGINS_TTL)
            .map(|(_, set)| set.clone());
        let set = match cached {
            Some(set) => set,
            None => {
                let set: Arc<HashSet<String>> = Arc::new(
                    self.store
                        .publishable_origins()
                        .await?
                        .into_iter()
                        .collect(),
                );
                *self.origins.write().unwrap_or_else(PoisonError::into_inner) =
                    Some((Instant::now(), set.clone()));
                set
            }
        };
        Ok(set.contains(&origin.to_ascii_lowercase()))
    }

    /// Registers a device from its signal document: the stored id when this
    /// tenant issued it, else the one device seen with the same fingerprint in
    /// [`MATCH_WINDOW_DAYS`] days when the fingerprint is strong enough and
    /// the match unambiguous, else a new id; with a token for it.
    pub async fn register(
        &self,
        key: &PublishableKey,
        doc: &SignalDoc,
    ) -> Result<DeviceIssued, DeviceError> {
        validate(doc)?;
        let tenant = key.tenant_id.as_str();
        let now = Utc::now();
        let (canon, strength) = canonical(doc);
        let fingerprint = self
            .hash_key
            .hash(FP_DOMAIN, &format!("{tenant}\u{1f}{canon}"));
        let stored = match &doc.device_id {
            Some(id) => self.cached_device(tenant, id).await?,
            None => None,
        };
        let unknown_stored_id = doc.device_id.is_some() && stored.is_none();
        let signals = read_signals(doc, unknown_stored_id);
        let sharing = self.sharing(tenant, &fingerprint, now).await?;
        let (device, matched_by) = match stored {
            Some(d) => (Some(d), "stored"),
            None if strength >= MIN_MATCH_SCORE && sharing.len() == 1 => {
                (self.cached_device(tenant, &sharing[0]).await?, "matched")
            }
            None => (None, "new"),
        };
        let signals_json = serde_json::to_string(&signals).unwrap_or_default();
        let device = match device {
            Some(d) => {
                // A returning device whose sighting is recent and unchanged
                // costs no write at all.
                let fresh = d.fingerprint == fingerprint
                    && d.signals == signals_json
                    && (now - d.last_seen).num_seconds() < TOUCH_AFTER_S;
                if fresh {
                    d
                } else {
                    let d = Device {
                        fingerprint: fingerprint.clone(),
                        signals: signals_json,
                        last_seen: now,
                        ..d
                    };
                    self.put(&d, &sharing).await?;
                    d
                }
            }
            None => {
                let d = Device {
                    id: new_id("dev"),
                    tenant_id: tenant.to_string(),
                    fingerprint: fingerprint.clone(),
                    signals: signals_json,
                    first_seen: now,
                    last_seen: now,
                };
                self.put(&d, &sharing).await?;
                d
            }
        };
        let devices_on_fp = sharing.len() + usize::from(!sharing.contains(&device.id));
        let expires_at = now + chrono::Duration::seconds(TOKEN_TTL_S);
        let claims = DeviceClaims {
            tenant_id: tenant.to_string(),
            device_id: device.id.clone(),
            fingerprint: fingerprint[..16].to_string(),
            expires: expires_at.timestamp(),
            signals,
            fingerprint_devices: u32::try_from(devices_on_fp).unwrap_or(u32::MAX),
            timezone_country: doc
                .timezone
                .as_deref()
                .and_then(crate::geo::timezone_country),
        };
        metrics::counter!("phoneguard_devices_registered_total", "matched_by" => matched_by)
            .increment(1);
        Ok(DeviceIssued {
            device_id: device.id,
            device_token: token::sign(&self.token_mac, &claims),
            expires_at,
            signals,
            matched_by,
        })
    }

    /// A tenant's device, from this node's cache or the database; `None` for
    /// an id that is malformed or not this tenant's (not cached: a forged id
    /// costs one indexed read, as an unknown API key does).
    async fn cached_device(&self, tenant: &str, id: &str) -> StoreResult<Option<Device>> {
        if !crate::ids::is_valid_id("dev", id) {
            return Ok(None);
        }
        let key = (tenant.to_string(), id.to_string());
        if let Some(d) = self.devices.get(&key) {
            return Ok(Some(d));
        }
        let found = self.store.get_device(tenant, id).await?;
        if let Some(d) = &found {
            self.devices.insert(key, d.clone());
        }
        Ok(found)
    }

    /// The devices seen with a fingerprint within the match window.
    async fn sharing(
        &self,
        tenant: &str,
        fingerprint: &str,
        now: chrono::DateTime<Utc>,
    ) -> StoreResult<Arc<Vec<String>>> {
        let key = (tenant.to_string(), fingerprint.to_string());
        if let Some(ids) = self.sharing.get(&key) {
            return Ok(ids);
        }
        let since = now - chrono::Duration::days(MATCH_WINDOW_DAYS);
        let ids = Arc::new(
            self.store
                .devices_with_fingerprint(tenant, fingerprint, since, MAX_SHARING as i64)
                .await?,
        );
        self.sharing.insert(key, ids.clone());
        Ok(ids)
    }

    /// Writes a device and its sighting, then this node's caches: the device,
    /// and its place at the head of its fingerprint's list (`sharing`, as
    /// read for this registration).
    async fn put(&self, d: &Device, sharing: &[String]) -> StoreResult<()> {
        self.store.put_device(d).await?;
        let tenant = d.tenant_id.clone();
        self.devices
            .insert((tenant.clone(), d.id.clone()), d.clone());
        if !sharing.contains(&d.id) {
            let mut ids = Vec::with_capacity(sharing.len() + 1);
            ids.push(d.id.clone());
            ids.extend(sharing.iter().take(MAX_SHARING - 1).cloned());
            self.sharing
                .insert((tenant, d.fingerprint.clone()), Arc::new(ids));
        }
        Ok(())
    }

    /// The claims of a token valid now for this tenant; `None` for a token
    /// that is malformed, forged, expired or another tenant's.
    pub fn verify_token(&self, tenant_id: &str, token: &str) -> Option<DeviceClaims> {
        token::verify(&self.token_mac, token, Utc::now().timestamp())
            .filter(|c| c.tenant_id == tenant_id)
    }

    /// A tenant's device with the number of fingerprints seen with it.
    pub async fn device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<(Device, i64)>> {
        if !crate::ids::is_valid_id("dev", id) {
            return Ok(None);
        }
        let Some(d) = self.store.get_device(tenant_id, id).await? else {
            return Ok(None);
        };
        let n = self.store.device_fingerprint_count(tenant_id, id).await?;
        Ok(Some((d, n)))
    }

    /// A tenant's publishable keys.
    pub async fn list_keys(&self, tenant_id: &str) -> StoreResult<Vec<PublishableKey>> {
        self.store.list_publishable_keys(tenant_id).await
    }
}
