//! Velocity without I/O: the engine says which counters an event touches
//! ([`counter_ops`]), the caller applies them to its store (in memory with
//! [`MemoryCounters`], or Redis) and hands the readings back as
//! [`CounterValues`].
//!
//! # Semantics every store must keep
//!
//! - **Windows.** Each op is read over three windows, [`WINDOWS`]: 10 min,
//!   1 h and 24 h, as `[u64; 3]` in that order.
//! - **Hits** count events per key in fixed buckets: 1 min for the 10 min
//!   window, 5 min for 1 h, 1 h for 24 h. The window of length `W` and bucket
//!   `g` at time `now` is the `W / g` buckets ending with the one holding
//!   `now`, i.e. it starts at `(floor(now / g) - W / g + 1) * g`: an event
//!   older than `W` never counts, one younger than `W - g` always does.
//! - **Distinct** counts the members (e.g. accounts) seen with a key whose
//!   latest sighting is within `(now - W, now]`, exactly.
//! - **First seen** returns the Unix time the key was first seen (kept 30
//!   days after its last sighting).
//! - **The current event counts**: an op with `record: true` (or a
//!   `Some` member, or first-seen) is recorded before it is read, so the
//!   first event of a key reads `[1, 1, 1]`, and first-seen reads `now`.
//!   Ops with `record: false` / `member: None` only read.
//! - **Time** is Unix seconds; an event older than the newest one a key has
//!   seen is counted as if it happened at that newest time.
//! - **Keys** are relative: a multi-tenant caller must prefix them with the
//!   tenant. They contain the raw account, IP or device id: hash them first
//!   if the store must not hold those in clear.

mod buckets;
mod memory;
mod ops;

pub use memory::{MemoryCounters, MemoryCountersConfig};
pub use ops::{counter_ops, counter_ops_in};

/// The windows every counter is read over, in seconds: 10 min, 1 h, 24 h.
pub const WINDOWS: [u64; 3] = [600, 3_600, 86_400];

/// Bucket length, in seconds, of each window's hit counts.
pub const BUCKETS: [u64; 3] = [60, 300, 3_600];

/// Which of the event's device identifiers a device counter is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceSource {
    /// `device_id` (the SDK's terminal id).
    DeviceId,
    /// `idfa`, unless null.
    Idfa,
    /// `mac`, unless null.
    Mac,
}

/// What a counter measures, so the engine can find its reading again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// Events of this kind from the client IP.
    Ip,
    /// Events of this kind from its /24 (IPv4) or /64 (IPv6).
    Subnet,
    /// Events of this kind from a device.
    Device(DeviceSource),
    /// Events of this kind for the account.
    Account,
    /// Events of this kind for the phone.
    Phone,
    /// Distinct accounts seen from the IP.
    IpAccounts,
    /// Distinct accounts seen from the subnet.
    SubnetAccounts,
    /// Distinct accounts seen on a device.
    DeviceAccounts(DeviceSource),
    /// Distinct accounts using the phone.
    PhoneAccounts,
    /// Distinct IPs the account came from.
    AccountIps,
    /// Failed logins of the account.
    AccountFailures,
    /// Failed logins from the IP.
    IpFailures,
    /// Distinct accounts failing to log in from the IP.
    IpFailedAccounts,
    /// When a device was first seen.
    DeviceFirstSeen(DeviceSource),
}

/// One counter to record and read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CounterOp {
    /// Events per key: recorded when `record`, then read over [`WINDOWS`].
    Hit {
        /// What the reading means.
        slot: Slot,
        /// Namespaced key, e.g. `ip:register:203.0.113.7`.
        key: String,
        /// Count this event before reading.
        record: bool,
    },
    /// Distinct members per key: `member` is recorded when given, then the
    /// distinct members are read over [`WINDOWS`].
    Distinct {
        /// What the reading means.
        slot: Slot,
        /// Namespaced key, e.g. `devacct:dev-42`.
        key: String,
        /// The member to add, e.g. the account.
        member: Option<String>,
    },
    /// The time the key was first seen (this event's time if new).
    FirstSeen {
        /// What the reading means.
        slot: Slot,
        /// Namespaced key, e.g. `devfirst:dev-42`.
        key: String,
    },
}

impl CounterOp {
    /// What the reading means.
    pub fn slot(&self) -> Slot {
        match self {
            CounterOp::Hit { slot, .. }
            | CounterOp::Distinct { slot, .. }
            | CounterOp::FirstSeen { slot, .. } => *slot,
        }
    }

    /// The op's key.
    pub fn key(&self) -> &str {
        match self {
            CounterOp::Hit { key, .. }
            | CounterOp::Distinct { key, .. }
            | CounterOp::FirstSeen { key, .. } => key,
        }
    }
}

/// The result of one [`CounterOp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterReading {
    /// Counts over the 10 min, 1 h and 24 h windows.
    Windows([u64; 3]),
    /// Unix time the key was first seen.
    FirstSeen(u64),
}

/// Readings of an event's counters, tagged with their [`Slot`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CounterValues {
    readings: Vec<(Slot, CounterReading)>,
}

impl CounterValues {
    /// No readings: every velocity feature reads 0 (e.g. counters down).
    pub fn new() -> Self {
        CounterValues::default()
    }

    /// Room for `n` readings.
    pub fn with_capacity(n: usize) -> Self {
        CounterValues {
            readings: Vec::with_capacity(n),
        }
    }

    /// Adds the reading of an op, given its slot ([`CounterOp::slot`]).
    pub fn push(&mut self, slot: Slot, reading: CounterReading) {
        self.readings.push((slot, reading));
    }

    /// Readings of ops applied in order: `ops[i]` gave `readings[i]`.
    pub fn from_readings(ops: &[CounterOp], readings: &[CounterReading]) -> Self {
        let mut values = CounterValues::with_capacity(ops.len());
        for (op, reading) in ops.iter().zip(readings) {
            values.push(op.slot(), *reading);
        }
        values
    }

    /// Window counts of `slot`, `[0; 3]` when absent.
    pub fn windows(&self, slot: Slot) -> [u64; 3] {
        self.readings
            .iter()
            .find_map(|(s, r)| match r {
                CounterReading::Windows(w) if *s == slot => Some(*w),
                _ => None,
            })
            .unwrap_or([0; 3])
    }

    /// First-seen time of `slot`, if read.
    pub fn first_seen(&self, slot: Slot) -> Option<u64> {
        self.readings.iter().find_map(|(s, r)| match r {
            CounterReading::FirstSeen(t) if *s == slot => Some(*t),
            _ => None,
        })
    }

    /// All readings, in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = &(Slot, CounterReading)> {
        self.readings.iter()
    }
}
