//! The per-key state of [`super::MemoryCounters`]: bucketed hit rings,
//! distinct-member lists, first-seen times.

use std::hash::Hasher;

use super::{BUCKETS, WINDOWS};

/// Hit and distinct counters are forgotten this long after their last event.
pub(super) const DAY: u64 = 86_400;

/// Counts per bucket of one window, `N` buckets ending with `last`.
#[derive(Debug)]
struct Ring<const N: usize> {
    last: u64,
    counts: [u32; N],
}

impl<const N: usize> Ring<N> {
    fn new(bucket: u64) -> Self {
        Ring {
            last: bucket,
            counts: [0; N],
        }
    }

    fn add(&mut self, bucket: u64) {
        if bucket > self.last {
            let gap = bucket - self.last;
            if gap >= N as u64 {
                self.counts = [0; N];
            } else {
                for b in self.last + 1..=bucket {
                    self.counts[(b % N as u64) as usize] = 0;
                }
            }
            self.last = bucket;
        }
        let slot = &mut self.counts[(self.last % N as u64) as usize];
        *slot = slot.saturating_add(1);
    }

    /// Sum of the stored buckets inside the window ending with `bucket`.
    fn sum(&self, bucket: u64) -> u64 {
        let n = N as u64;
        (0..n.min(self.last + 1))
            .map(|i| self.last - i)
            .filter(|b| b + n > bucket)
            .map(|b| u64::from(self.counts[(b % n) as usize]))
            .sum()
    }
}

#[derive(Debug)]
pub(super) struct Hits {
    m10: Ring<10>,
    h1: Ring<12>,
    h24: Ring<24>,
    last: u64,
}

impl Hits {
    pub(super) fn new(now: u64) -> Self {
        Hits {
            m10: Ring::new(now / BUCKETS[0]),
            h1: Ring::new(now / BUCKETS[1]),
            h24: Ring::new(now / BUCKETS[2]),
            last: now,
        }
    }

    pub(super) fn last(&self) -> u64 {
        self.last
    }

    pub(super) fn read(&mut self, now: u64, record: bool) -> [u64; 3] {
        let now = now.max(self.last);
        let b = BUCKETS.map(|g| now / g);
        if record {
            self.last = now;
            self.m10.add(b[0]);
            self.h1.add(b[1]);
            self.h24.add(b[2]);
        }
        [self.m10.sum(b[0]), self.h1.sum(b[1]), self.h24.sum(b[2])]
    }
}

/// Members of a distinct key with their latest sighting.
#[derive(Debug, Default)]
pub(super) struct Members {
    seen: Vec<(u64, u64)>,
    pub(super) last: u64,
}

impl Members {
    pub(super) fn read(&mut self, now: u64, member: Option<u64>, max: usize) -> [u64; 3] {
        let now = now.max(self.last);
        if let Some(m) = member {
            self.last = now;
            match self.seen.iter_mut().find(|(h, _)| *h == m) {
                Some(entry) => entry.1 = now,
                None => {
                    if self.seen.len() >= max
                        && let Some(oldest) = (0..self.seen.len()).min_by_key(|&i| self.seen[i].1)
                    {
                        self.seen.swap_remove(oldest);
                    }
                    self.seen.push((m, now));
                }
            }
        }
        let mut counts = [0u64; 3];
        self.seen.retain(|&(_, at)| {
            let age = now - at;
            for (count, window) in counts.iter_mut().zip(WINDOWS) {
                *count += u64::from(age < window);
            }
            age < DAY
        });
        counts
    }
}

#[derive(Debug)]
pub(super) struct FirstSeen {
    pub(super) first: u64,
    pub(super) last: u64,
}

/// Hasher for keys that are already 64-bit hashes.
#[derive(Debug, Default)]
pub(super) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
