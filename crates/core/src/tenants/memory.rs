//! The per-node cache of resolved API keys, keyed by the key's HMAC.
//!
//! A hit costs one HMAC-SHA256 (key schedule done once, see
//! [`DomainMac`](crate::secrets::DomainMac)), one read lock of a shard and a
//! clock read: no hex `String`, no cache bookkeeping. Presented keys are never
//! held, only their keyed hashes, exactly as the database holds them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::tenants::Principal;

/// Shards, so concurrent requests with different keys rarely share a lock.
const SHARDS: usize = 8;

/// Key → what it resolved to (`None`: unknown or revoked), for a while.
pub(crate) struct KeyCache {
    shards: [RwLock<HashMap<[u8; 32], Slot, MacHash>>; SHARDS],
    ttl: Duration,
    per_shard: usize,
}

struct Slot {
    principal: Option<Principal>,
    expires: Instant,
}

impl KeyCache {
    /// Entries live `ttl`; at most about `capacity` are kept.
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        KeyCache {
            shards: Default::default(),
            ttl,
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, mac: &[u8; 32]) -> &RwLock<HashMap<[u8; 32], Slot, MacHash>> {
        &self.shards[usize::from(mac[31]) % SHARDS]
    }

    /// `Some(resolved)` on a live hit, `None` on a miss or an expired entry.
    pub(crate) fn get(&self, mac: &[u8; 32]) -> Option<Option<Principal>> {
        let shard = self
            .shard(mac)
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let slot = shard.get(mac)?;
        (slot.expires > Instant::now()).then(|| slot.principal.clone())
    }

    /// Remembers what a key resolved to.
    pub(crate) fn insert(&self, mac: [u8; 32], principal: Option<Principal>) {
        let now = Instant::now();
        let mut shard = self
            .shard(&mac)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if shard.len() >= self.per_shard && !shard.contains_key(&mac) {
            shard.retain(|_, s| s.expires > now);
            if shard.len() >= self.per_shard {
                shard.clear();
            }
        }
        let expires = now + self.ttl;
        shard.insert(mac, Slot { principal, expires });
    }

    /// Forgets a key (it was revoked).
    pub(crate) fn invalidate(&self, mac: &[u8; 32]) {
        let mut shard = self
            .shard(mac)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        shard.remove(mac);
    }
}

/// The first eight bytes of the MAC as the map's hash: a keyed hash already,
/// unpredictable without the server's secret, so no flooding is possible.
#[derive(Default)]
struct MacHasher(u64);

type MacHash = BuildHasherDefault<MacHasher>;

impl Hasher for MacHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenants::KeyMode;

    fn principal(id: &str) -> Option<Principal> {
        Some(Principal {
            tenant_id: "ten_1".into(),
            key_id: id.into(),
            mode: KeyMode::Test,
        })
    }

    #[test]
    fn a_cached_key_is_found_until_invalidated() {
        let cache = KeyCache::new(100, Duration::from_secs(60));
        let (a, b) = ([1u8; 32], [2u8; 32]);
        cache.insert(a, principal("key_a"));
        cache.insert(b, None);
        assert_eq!(cache.get(&a), Some(principal("key_a")));
        assert_eq!(cache.get(&b), Some(None), "unknown keys are remembered too");
        cache.invalidate(&a);
        assert_eq!(cache.get(&a), None);
    }

    #[test]
    fn entries_expire_after_their_ttl() {
        let cache = KeyCache::new(100, Duration::ZERO);
        cache.insert([3u8; 32], principal("key_c"));
        assert_eq!(cache.get(&[3u8; 32]), None);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = KeyCache::new(16, Duration::from_secs(60));
        for i in 0..=255u8 {
            cache.insert([i; 32], None);
        }
        let held: usize = cache.shards.iter().map(|s| s.read().unwrap().len()).sum();
        assert!(held <= 16 + SHARDS, "{held} entries held");
        assert_eq!(cache.get(&[255u8; 32]), Some(None), "the newest is kept");
    }
}
