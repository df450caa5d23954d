//! The front's state on this node: AccessKey pairs opened recently (a short
//! cache, so a request does not read and decrypt the secret every time) and
//! the ledger of accepted `SignatureNonce`s.
//!
//! The cache holds a pair for [`KEY_TTL`] after it was read; a revoke through
//! this node forgets it at once ([`FrontState::forget`]), other nodes may
//! serve a revoked pair until their entry expires. Unknown and revoked pairs
//! are never cached, so a new pair works at once on every node.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use phoneguard_core::suppliers::access_keys::{MemoryNonces, NonceLedger};
use phoneguard_core::tenants::Principal;

/// How long an opened pair is served from memory.
pub const KEY_TTL: Duration = Duration::from_secs(10);
/// Most pairs held.
const KEY_CAPACITY: u64 = 10_000;

/// An opened pair: its principal and secret.
#[derive(Clone)]
pub(super) struct OpenKey {
    pub who: Principal,
    pub secret: Arc<str>,
}

/// See the module.
pub struct FrontState {
    keys: moka::sync::Cache<String, OpenKey>,
    /// Bumped by every [`FrontState::forget`]: a lookup that overlapped one
    /// does not keep what it read.
    generation: AtomicU64,
    pub(super) nonces: Arc<dyn NonceLedger>,
}

impl FrontState {
    /// The front's state with `nonces` as its nonce ledger.
    pub fn new(nonces: Arc<dyn NonceLedger>) -> Self {
        FrontState {
            keys: moka::sync::Cache::builder()
                .max_capacity(KEY_CAPACITY)
                .time_to_live(KEY_TTL)
                .build(),
            generation: AtomicU64::new(0),
            nonces,
        }
    }

    /// One node: nonces in memory, each kept for the front's whole date
    /// window.
    pub fn single_node() -> Self {
        FrontState::new(Arc::new(MemoryNonces::new(2_000_000, super::NONCE_TTL)))
    }

    /// Forgets pair `key_id` on this node (it was revoked).
    pub fn forget(&self, key_id: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.keys.invalidate(key_id);
    }

    pub(super) fn cached(&self, key_id: &str) -> Option<OpenKey> {
        self.keys.get(key_id)
    }

    /// The generation to hand to [`FrontState::keep`] after reading a pair.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps a pair read while the generation was `seen`, unless a forget
    /// came in between (then the entry is dropped again).
    pub(super) fn keep(&self, seen: u64, key: OpenKey) {
        let id = key.who.key_id.clone();
        self.keys.insert(id.clone(), key);
        if self.generation() != seen {
            self.keys.invalidate(&id);
        }
    }
}
