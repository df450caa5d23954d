//! [`AuthThrottle`]: failed authentications counted per client address in a
//! fixed window, in memory on each node.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses tracked at most; beyond, new failing addresses share one slot
/// (so many addresses cannot grow memory, and still cannot guess freely).
const MAX_TRACKED: usize = 65_536;

/// The slot of an address: IPv4 as is, IPv6 by its /64 (one host's share);
/// `None` for an unknown address and the shared overflow slot.
type Key = Option<IpAddr>;

fn key_of(ip: Option<IpAddr>) -> Key {
    Some(phoneguard_core::net::counted_network(ip?, 64))
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    since: Instant,
    failures: u32,
}

/// Counts failed authentications per client address; an address with
/// `max_failures` failures in its window is refused until the window ends.
#[derive(Debug)]
pub struct AuthThrottle {
    max_failures: u32,
    window: Duration,
    slots: Mutex<HashMap<Key, Slot>>,
}

impl AuthThrottle {
    /// `max_failures` failures per address within `window`.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        AuthThrottle {
            max_failures: max_failures.max(1),
            window,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `None` when `ip` may try to authenticate; else the whole seconds until it may.
    pub fn blocked(&self, ip: Option<IpAddr>, now: Instant) -> Option<u64> {
        let slots = self.slots();
        let k = key_of(ip);
        let slot = slots.get(&k).or_else(|| slots.get(&None))?;
        let left = (slot.since + self.window).checked_duration_since(now)?;
        if slot.failures < self.max_failures || left.is_zero() {
            return None;
        }
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }

    /// Counts a failed attempt of `ip`.
    pub fn failed(&self, ip: Option<IpAddr>, now: Instant) {
        let window = self.window;
        let mut slots = self.slots();
        let mut k = key_of(ip);
        if !slots.contains_key(&k) && slots.len() >= MAX_TRACKED {
            slots.retain(|_, s| now < s.since + window);
            if slots.len() >= MAX_TRACKED {
                k = None;
            }
        }
        let slot = slots.entry(k).or_insert(Slot {
            since: now,
            failures: 0,
        });
        if now >= slot.since + window {
            *slot = Slot {
                since: now,
                failures: 0,
            };
        }
        slot.failures = slot.failures.saturating_add(1);
    }

    /// Forgets the failures of `ip` after it authenticated.
    pub fn succeeded(&self, ip: Option<IpAddr>) {
        let k = key_of(ip);
        if k.is_some() {
            self.slots().remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn an_address_is_refused_after_max_failures_until_its_window_ends() {
        let t = AuthThrottle::new(3, Duration::from_secs(60));
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.blocked(ip("10.0.0.1"), now), None);
            t.failed(ip("10.0.0.1"), now);
        }
        assert_eq!(t.blocked(ip("10.0.0.1"), now), Some(60));
        assert_eq!(
            t.blocked(ip("10.0.0.2"), now),
            None,
            "another address is not"
        );
        let later = now + Duration::from_millis(59_500);
        assert_eq!(t.blocked(ip("10.0.0.1"), later), Some(1));
        let after = now + Duration::from_secs(60);
        assert_eq!(t.blocked(ip("10.0.0.1"), after), None);
        t.failed(ip("10.0.0.1"), after);
        assert_eq!(t.blocked(ip("10.0.0.1"), after), None, "a new window");
    }

    #[test]
    fn a_success_forgets_the_failures_and_ipv6_counts_by_its_64() {
        let t = AuthThrottle::new(2, Duration::from_secs(60));
        let now = Instant::now();
        t.failed(ip("2001:db8::1"), now);
        t.failed(ip("2001:db8::2"), now);
        assert!(t.blocked(ip("2001:db8::ffff"), now).is_some());
        assert!(t.blocked(ip("2001:db8:0:1::1"), now).is_none());
        t.succeeded(ip("2001:db8::3"));
        assert!(t.blocked(ip("2001:db8::1"), now).is_none());
        t.failed(ip("::ffff:192.0.2.1"), now);
        t.failed(ip("192.0.2.1"), now);
        assert!(t.blocked(ip("192.0.2.1"), now).is_some(), "mapped v4 is v4");
    }
}
