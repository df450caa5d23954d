//! In-process counters with bucketed sliding windows and bounded memory.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, RandomState};
use std::sync::{Mutex, MutexGuard};

use super::buckets::{DAY, FirstSeen, Hits, Members, Prehashed};
use super::{CounterOp, CounterReading, CounterValues};

/// Limits of a [`MemoryCounters`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryCountersConfig {
    /// Lock shards; more shards, less contention between threads.
    pub shards: usize,
    /// Most keys kept in each of the three tables (hits, distinct sets,
    /// first-seen); past it the keys idle longest are evicted. A hit key
    /// takes about 250 bytes.
    pub max_keys: usize,
    /// Most members kept per distinct key; past it the member seen longest
    /// ago is dropped, so distinct counts saturate at this value.
    pub max_members: usize,
    /// Seconds a first-seen time is kept after the key's last sighting.
    pub first_seen_ttl_s: u64,
}

impl Default for MemoryCountersConfig {
    fn default() -> Self {
        MemoryCountersConfig {
            shards: 16,
            max_keys: 250_000,
            max_members: 1_024,
            first_seen_ttl_s: 30 * DAY,
        }
    }
}

/// Thread-safe in-memory store for [`CounterOp`]s, with exactly the
/// semantics described in [the module docs](super): hit counts in 1 min,
/// 5 min and 1 h buckets, distinct members by their latest sighting,
/// first-seen times kept 30 days. Keys are hashed (64-bit, per-instance
/// random key) and never stored in clear.
#[derive(Debug)]
pub struct MemoryCounters {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    keys_per_shard: usize,
    max_members: usize,
    first_seen_ttl_s: u64,
}

type Table<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

#[derive(Debug, Default)]
struct Shard {
    hits: Table<Hits>,
    sets: Table<Members>,
    first: Table<FirstSeen>,
}

impl Default for MemoryCounters {
    fn default() -> Self {
        MemoryCounters::new(MemoryCountersConfig::default())
    }
}

impl MemoryCounters {
    /// Empty counters with these limits.
    pub fn new(config: MemoryCountersConfig) -> Self {
        let shards = config.shards.max(1);
        MemoryCounters {
            shards: (0..shards).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            keys_per_shard: config.max_keys.div_ceil(shards).max(8),
            max_members: config.max_members.max(1),
            first_seen_ttl_s: config.first_seen_ttl_s,
        }
    }

    /// Applies an event's ops at `now` (Unix seconds), in order.
    pub fn apply(&self, ops: &[CounterOp], now: u64) -> CounterValues {
        let mut values = CounterValues::with_capacity(ops.len());
        for op in ops {
            values.push(op.slot(), self.apply_op(op, now));
        }
        values
    }

    /// Applies one op at `now`.
    pub fn apply_op(&self, op: &CounterOp, now: u64) -> CounterReading {
        let key = self.hasher.hash_one(op.key());
        let mut shard = self.shard(key);
        let cap = self.keys_per_shard;
        match op {
            CounterOp::Hit { record: true, .. } => {
                let hits = entry(&mut shard.hits, key, now, cap, DAY, Hits::last, || {
                    Hits::new(now)
                });
                CounterReading::Windows(hits.read(now, true))
            }
            CounterOp::Hit { record: false, .. } => CounterReading::Windows(
                shard
                    .hits
                    .get_mut(&key)
                    .map_or([0; 3], |h| h.read(now, false)),
            ),
            CounterOp::Distinct {
                member: Some(member),
                ..
            } => {
                let member = self.hasher.hash_one(member);
                let max = self.max_members;
                let set = entry(
                    &mut shard.sets,
                    key,
                    now,
                    cap,
                    DAY,
                    |m| m.last,
                    Members::default,
                );
                CounterReading::Windows(set.read(now, Some(member), max))
            }
            CounterOp::Distinct { member: None, .. } => CounterReading::Windows(
                shard
                    .sets
                    .get_mut(&key)
                    .map_or([0; 3], |m| m.read(now, None, 0)),
            ),
            CounterOp::FirstSeen { .. } => {
                let ttl = self.first_seen_ttl_s;
                let new = || FirstSeen {
                    first: now,
                    last: now,
                };
                let seen = entry(&mut shard.first, key, now, cap, ttl, |f| f.last, new);
                if now.saturating_sub(seen.last) > ttl {
                    seen.first = now;
                }
                seen.last = seen.last.max(now);
                CounterReading::FirstSeen(seen.first.min(now))
            }
        }
    }

    /// Keys held, all tables together.
    pub fn len(&self) -> usize {
        (0..self.shards.len())
            .map(|i| {
                let s = self.lock(i);
                s.hits.len() + s.sets.len() + s.first.len()
            })
            .sum()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, key: u64) -> MutexGuard<'_, Shard> {
        self.lock((key >> 40) as usize % self.shards.len())
    }

    fn lock(&self, i: usize) -> MutexGuard<'_, Shard> {
        // A panic while holding the lock leaves counts, never broken
        // invariants: keep going with them.
        self.shards[i]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The entry for `key`, created with `new` — after evicting, when the table
/// is full, what is older than `horizon` and then the idlest eighth.
fn entry<V>(
    table: &mut Table<V>,
    key: u64,
    now: u64,
    cap: usize,
    horizon: u64,
    last: impl Fn(&V) -> u64,
    new: impl FnOnce() -> V,
) -> &mut V {
    if !table.contains_key(&key) && table.len() >= cap {
        table.retain(|_, v| now.saturating_sub(last(v)) < horizon);
        if table.len() >= cap {
            let mut by_age: Vec<(u64, u64)> = table.iter().map(|(k, v)| (last(v), *k)).collect();
            let n = (cap / 8).max(1);
            by_age.select_nth_unstable(n - 1);
            for (_, k) in &by_age[..n] {
                table.remove(k);
            }
        }
    }
    table.entry(key).or_insert_with(new)
}
