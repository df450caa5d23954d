//! Shared counters on Redis, so that several phoneguard nodes see one another's
//! traffic: the risk engine's counters (here), rate limits and quotas
//! ([`RedisLimiter`]), the verification hot state ([`RedisVerifyState`]) and
//! the nonces of the Aliyun-compatible front ([`RedisNonces`]).
//!
//! [`RedisRiskCounters`] implements [`RiskCounters`] with exactly the semantics
//! of the in-process [`phoneguard_risk::MemoryCounters`] (windows, buckets,
//! distinct members, first-seen; see `phoneguard_risk::counters`): an event's
//! ops are applied in order by **one** Lua script call (`lua/event.lua`, one
//! round trip), one `GET` and at most one `SET` per op on a packed string:
//!
//! - a hit key holds its last event time, the count of each window and the
//!   bucket rings (216 bytes); a hit in the bucket of the key's last event
//!   reads and rewrites three counts, never scans its buckets;
//! - a distinct key holds its members, 16 bytes each, in order of sighting,
//!   at most `max_members` (1,024): counts are **exact** per window (found by
//!   bisection, or scanning back from the newest member when there are at
//!   most 8), and a full key drops the member seen longest ago, as in memory,
//!   so counts saturate at `max_members`. No HyperLogLog: the windows count
//!   members by their latest sighting, which a sketch cannot forget;
//! - a first-seen key holds its first and latest sighting.
//!
//! Keys: `{prefix}:risk2:{h|d|f}:{hash}`, where `hash` is a keyed hash of the
//! counter key (which holds accounts, IPs, device ids): Redis never holds them
//! in clear, and two deployments with different hash secrets never share a key.
//! Distinct members are kept as keyed hashes too (64 bits, as in memory). Every
//! key has a TTL, renewed on each write: a day for hits and distinct sets, 30
//! days for first-seen. The `risk2` namespace is new with this layout: keys of
//! the earlier per-op scripts (`{prefix}:risk:…`, hashes and sorted sets) are
//! neither read nor overwritten, so velocity counts start afresh when a
//! deployment upgrades, and the old keys expire within their TTL.
//!
//! **One Redis (6.0 or later: `SET … KEEPTTL`), not Redis Cluster**: the per-event script touches every key of
//! the event (10–16), which a cluster only accepts when they share a hash slot.
//! The keys carry no hash tag (one tag for all would put every counter on one
//! shard); Cluster support is not built (the `redis` crate is built without its
//! `cluster` feature). On a cluster the ops would have to be grouped by slot,
//! one script call per group.
#![forbid(unsafe_code)]

mod conn;
mod limiter;
mod nonces;
mod verify_state;

use std::time::Duration;

use async_trait::async_trait;
use phoneguard_core::risk::{CountersError, RiskCounters};
use phoneguard_core::secrets::HashKey;
use phoneguard_risk::{BUCKETS, CounterOp, CounterReading, CounterValues, WINDOWS};
use redis::{Client, Pipeline, Script};

use conn::Conn;
pub use limiter::{RedisLimiter, RedisLimiterConfig};
pub use nonces::RedisNonces;
pub use verify_state::{RedisVerifyConfig, RedisVerifyState};

/// A day, in seconds: the life of hit and distinct keys after their last write.
const DAY: u64 = 86_400;

/// Hash domain of counter keys and members.
const DOMAIN: &str = "risk_counter";

/// Bytes of a distinct member's keyed hash (64 bits, as in memory).
const MEMBER: usize = 8;

/// Settings of a [`RedisRiskCounters`].
#[derive(Debug, Clone)]
pub struct RedisCountersConfig {
    /// Prefix of every key (one per deployment sharing a Redis).
    pub prefix: String,
    /// Most members kept per distinct key (as in memory: the one seen longest
    /// ago makes room), so distinct counts saturate at this value.
    pub max_members: usize,
    /// Seconds a first-seen time is kept after the key's last sighting.
    pub first_seen_ttl_s: u64,
    /// How long one round trip may take before the counters count as down.
    pub response_timeout: Duration,
    /// How long connecting may take.
    pub connection_timeout: Duration,
}

impl Default for RedisCountersConfig {
    fn default() -> Self {
        RedisCountersConfig {
            prefix: "phoneguard".into(),
            max_members: 1_024,
            first_seen_ttl_s: 30 * DAY,
            response_timeout: Duration::from_millis(500),
            connection_timeout: Duration::from_secs(1),
        }
    }
}

/// The per-event script, with the windows and bucket lengths of
/// [`phoneguard_risk`] written in.
fn event_script() -> Script {
    let list = |v: [u64; 3]| v.map(|x| x.to_string()).join(", ");
    Script::new(
        &include_str!("lua/event.lua")
            .replace("@BUCKETS@", &list(BUCKETS))
            .replace("@WINDOWS@", &list(WINDOWS)),
    )
}

/// [`RiskCounters`] on Redis, shared by every node of a deployment.
///
/// The connection is made on first use and remade after a failure; while Redis
/// is down, [`RiskCounters::apply`] fails within the response or connection
/// timeout with a [`CountersError`] (and tries to connect at most once a second).
pub struct RedisRiskCounters {
    config: RedisCountersConfig,
    hash_key: HashKey,
    script: Script,
    conn: Conn,
}

impl RedisRiskCounters {
    /// Counters at `url` (`redis://HOST:PORT[/DB]`), keys hashed under
    /// `hash_key` (the deployment's hash secret: every node must use the same).
    /// Only checks the URL: the connection is made on first use.
    pub fn new(
        url: &str,
        hash_key: HashKey,
        config: RedisCountersConfig,
    ) -> Result<Self, CountersError> {
        let client = Client::open(url).map_err(|e| CountersError(format!("redis_url: {e}")))?;
        let conn = Conn::new(
            client,
            "risk counters",
            config.response_timeout,
            config.connection_timeout,
        );
        Ok(RedisRiskCounters {
            config,
            hash_key,
            script: event_script(),
            conn,
        })
    }

    /// Connects now (at start-up, to report an unreachable Redis early).
    pub async fn connect(&self) -> Result<(), CountersError> {
        self.conn.get().await.map(drop).map_err(CountersError)
    }

    /// The Redis key of a counter key, for one kind of op (`h`, `d` or `f`).
    pub fn redis_key(&self, kind: char, key: &str) -> String {
        let mac = self.hash_key.mac(DOMAIN, key.as_bytes());
        format!(
            "{}:risk2:{kind}:{}",
            self.config.prefix,
            hex::encode(&mac[..16])
        )
    }

    /// The call applying `ops` at `now`: one key and one op code each.
    fn call(&self, ops: &[CounterOp], now: u64) -> Pipeline {
        let mut call = self.script.prepare_invoke();
        call.arg(now)
            .arg(DAY)
            .arg(self.config.max_members.max(1))
            .arg(self.config.first_seen_ttl_s);
        for op in ops {
            let (kind, code) = match op {
                CounterOp::Hit { record: true, .. } => ('h', b"h".to_vec()),
                CounterOp::Hit { record: false, .. } => ('h', b"r".to_vec()),
                CounterOp::Distinct {
                    member: Some(m), ..
                } => {
                    let mut code = b"m".to_vec();
                    code.extend_from_slice(&self.hash_key.mac(DOMAIN, m.as_bytes())[..MEMBER]);
                    ('d', code)
                }
                CounterOp::Distinct { member: None, .. } => ('d', b"d".to_vec()),
                CounterOp::FirstSeen { .. } => ('f', b"f".to_vec()),
            };
            call.key(self.redis_key(kind, op.key())).arg(code);
        }
        let mut pipe = redis::pipe();
        pipe.invoke_script(&call);
        pipe
    }
}

#[async_trait]
impl RiskCounters for RedisRiskCounters {
    async fn apply(&self, ops: &[CounterOp], now: u64) -> Result<CounterValues, CountersError> {
        if ops.is_empty() {
            return Ok(CounterValues::new());
        }
        let (flat,): (Vec<u64>,) = self
            .conn
            .run(&self.call(ops, now), &[&self.script])
            .await
            .map_err(CountersError)?;
        let mut rest = flat.as_slice();
        let mut values = CounterValues::with_capacity(ops.len());
        for op in ops {
            let reading = match (op, rest) {
                (CounterOp::FirstSeen { .. }, [t, tail @ ..]) => {
                    rest = tail;
                    CounterReading::FirstSeen(*t)
                }
                (_, [a, b, c, tail @ ..]) if !matches!(op, CounterOp::FirstSeen { .. }) => {
                    rest = tail;
                    CounterReading::Windows([*a, *b, *c])
                }
                // The op's slot, not its key: keys hold accounts and IPs.
                _ => {
                    return Err(CountersError(format!(
                        "{} readings for {} counter ops: none left for the {:?} counter",
                        flat.len(),
                        ops.len(),
                        op.slot()
                    )));
                }
            };
            values.push(op.slot(), reading);
        }
        if !rest.is_empty() {
            return Err(CountersError(format!(
                "{} readings for {} counter ops: {} too many",
                flat.len(),
                ops.len(),
                rest.len()
            )));
        }
        Ok(values)
    }
}
