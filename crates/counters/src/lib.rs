//! Shared counters on Redis, so that several phoneguard nodes see one another's
//! traffic: the risk engine's counters (here), rate limits and quotas
//! ([`RedisLimiter`]), the verification hot state ([`RedisVerifyState`]) and
//! the nonces of the Aliyun-compatible front ([`RedisNonces`]).
//!
//! [`RedisRiskCounters`] implements [`RiskCounters`] with exactly the semantics
//! of the in-process [`phoneguard_risk::MemoryCounters`] (windows, buckets,
//! distinct members, first-seen; see `phoneguard_risk::counters`): each kind of
//! [`CounterOp`] is one Lua script that records and reads one key atomically, and
//! an event's ops go to Redis in one pipelined round trip.
//!
//! Keys: `{prefix}:risk:{h|d|f}:{hash}`, where `hash` is a keyed hash of the
//! counter key (which holds accounts, IPs, device ids): Redis never holds them
//! in clear, and two deployments with different hash secrets never share a key.
//! Distinct members are kept as keyed hashes too. Every key has a TTL, renewed
//! on each write: a day for hits and distinct sets, 30 days for first-seen.
//! Each script touches one key, so the scheme works on Redis Cluster.
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

/// The three scripts, one per kind of op.
struct Scripts {
    hit: Script,
    distinct: Script,
    first_seen: Script,
}

impl Scripts {
    fn new() -> Self {
        Scripts {
            hit: Script::new(include_str!("lua/hit.lua")),
            distinct: Script::new(include_str!("lua/distinct.lua")),
            first_seen: Script::new(include_str!("lua/first_seen.lua")),
        }
    }

    fn all(&self) -> [&Script; 3] {
        [&self.hit, &self.distinct, &self.first_seen]
    }
}

/// [`RiskCounters`] on Redis, shared by every node of a deployment.
///
/// The connection is made on first use and remade after a failure; while Redis
/// is down, [`RiskCounters::apply`] fails within the response or connection
/// timeout with a [`CountersError`] (and tries to connect at most once a second).
pub struct RedisRiskCounters {
    config: RedisCountersConfig,
    hash_key: HashKey,
    scripts: Scripts,
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
            scripts: Scripts::new(),
            conn,
        })
    }

    /// Connects now (at start-up, to report an unreachable Redis early).
    pub async fn connect(&self) -> Result<(), CountersError> {
        self.conn.get().await.map(drop).map_err(CountersError)
    }

    /// The Redis key of a counter key, for one kind of op.
    pub fn redis_key(&self, kind: char, key: &str) -> String {
        let mac = self.hash_key.mac(DOMAIN, key.as_bytes());
        format!(
            "{}:risk:{kind}:{}",
            self.config.prefix,
            hex::encode(&mac[..16])
        )
    }

    fn member(&self, member: &str) -> String {
        hex::encode(&self.hash_key.mac(DOMAIN, member.as_bytes())[..12])
    }

    /// The pipeline applying `ops` at `now`, one script call per op.
    fn pipeline(&self, ops: &[CounterOp], now: u64) -> Pipeline {
        let mut pipe = redis::pipe();
        for op in ops {
            match op {
                CounterOp::Hit { key, record, .. } => {
                    let mut call = self.scripts.hit.key(self.redis_key('h', key));
                    call.arg(now).arg(u8::from(*record)).arg(DAY);
                    for (g, w) in BUCKETS.iter().zip(WINDOWS) {
                        call.arg(*g).arg(w / g);
                    }
                    pipe.invoke_script(&call);
                }
                CounterOp::Distinct { key, member, .. } => {
                    let mut call = self.scripts.distinct.key(self.redis_key('d', key));
                    call.arg(now)
                        .arg(DAY)
                        .arg(self.config.max_members.max(1))
                        .arg(&WINDOWS[..]);
                    if let Some(m) = member {
                        call.arg(self.member(m));
                    }
                    pipe.invoke_script(&call);
                }
                CounterOp::FirstSeen { key, .. } => {
                    let mut call = self.scripts.first_seen.key(self.redis_key('f', key));
                    call.arg(now).arg(self.config.first_seen_ttl_s);
                    pipe.invoke_script(&call);
                }
            }
        }
        pipe
    }

    async fn run(&self, ops: &[CounterOp], now: u64) -> Result<Vec<Vec<u64>>, CountersError> {
        let pipe = self.pipeline(ops, now);
        self.conn
            .run(&pipe, &self.scripts.all())
            .await
            .map_err(CountersError)
    }
}

#[async_trait]
impl RiskCounters for RedisRiskCounters {
    async fn apply(&self, ops: &[CounterOp], now: u64) -> Result<CounterValues, CountersError> {
        if ops.is_empty() {
            return Ok(CounterValues::new());
        }
        let replies = self.run(ops, now).await?;
        if replies.len() != ops.len() {
            return Err(CountersError(format!(
                "{} replies to {} counter ops",
                replies.len(),
                ops.len()
            )));
        }
        let readings: Vec<CounterReading> = ops
            .iter()
            .zip(&replies)
            .map(|(op, reply)| match (op, reply.as_slice()) {
                (CounterOp::FirstSeen { .. }, [t]) => Ok(CounterReading::FirstSeen(*t)),
                (CounterOp::Hit { .. } | CounterOp::Distinct { .. }, [a, b, c]) => {
                    Ok(CounterReading::Windows([*a, *b, *c]))
                }
                // The op's slot, not its key: keys hold accounts and IPs.
                _ => Err(CountersError(format!(
                    "unexpected reply {reply:?} to the {:?} counter",
                    op.slot()
                ))),
            })
            .collect::<Result<_, _>>()?;
        Ok(CounterValues::from_readings(ops, &readings))
    }
}
