//! [`RedisVerifyState`]: send admission and the verification hot state of
//! every node of a deployment on one Redis (the ports `SendAdmission` and `VerifyHotState` of `phoneguard_core::verify`).
//!
//! Keys (every one with a TTL; numbers, IPs and terminal keys only as keyed hashes):
//! - send admission: `{prefix}:vsl:{t:TENANT}:SCOPE`, a sorted set of send ids
//!   scored by time (ms), trimmed to its window and expiring a window after its
//!   newest send. One script takes a slot of every limit of a send or none; the
//!   limits of one tenant share the hash tag `{t:TENANT}`, so the script stays
//!   on one slot of a Redis Cluster.
//! - failover mappings: `{prefix}:vfo:TERMINAL`, a sorted set of supplier ids
//!   scored by expiry (ms), expiring with its longest mapping.
//! - caller reservations: `{prefix}:vcr:CALLER` (a hash of pool, destination
//!   key and caller: callers are held per tenant's phone) holds the
//!   verification id, expiring when the reservation ends; `{prefix}:vcv:VERIFICATION` is the set
//!   of caller keys a verification holds, for release.
//!
//! Times in scores are the node's clock in ms; TTLs are relative (PEXPIRE), so
//! Redis' own clock never has to agree with the nodes'.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::secrets::{HashKey, random_base62};
use phoneguard_core::store::{StoreError, StoreResult};
use phoneguard_core::verify::{
    Refusal, SendAdmission, SendLimit, SendRecord, SendScope, VerifyHotState,
};
use redis::{Client, Script};

use crate::conn::Conn;

/// Hash domain of the keys.
const DOMAIN: &str = "verify_hot";

/// Settings of a [`RedisVerifyState`].
#[derive(Debug, Clone)]
pub struct RedisVerifyConfig {
    /// Prefix of every key (one per deployment sharing a Redis).
    pub prefix: String,
    /// How long one round trip may take before the state counts as down.
    pub response_timeout: Duration,
    /// How long connecting may take.
    pub connection_timeout: Duration,
}

impl Default for RedisVerifyConfig {
    fn default() -> Self {
        RedisVerifyConfig {
            prefix: "phoneguard".into(),
            response_timeout: Duration::from_millis(250),
            connection_timeout: Duration::from_secs(1),
        }
    }
}

/// [`VerifyHotState`] on Redis, shared by every node of a deployment.
pub struct RedisVerifyState {
    prefix: String,
    hash_key: HashKey,
    admit: Script,
    failover_add: Script,
    reserve: Script,
    index_add: Script,
    release: Script,
    conn: Conn,
}

fn unavailable(e: String) -> StoreError {
    StoreError::Unavailable(format!("redis: {e}"))
}

/// Milliseconds from `now` to `until`, at least 1.
fn ms_until(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (until - now).num_milliseconds().max(1)
}

impl RedisVerifyState {
    /// The state at `url` (`redis://HOST:PORT[/DB]`), keys hashed under
    /// `hash_key` (the deployment's hash secret). Only checks the URL: the
    /// connection is made on first use.
    pub fn new(url: &str, hash_key: HashKey, config: RedisVerifyConfig) -> StoreResult<Self> {
        let client = Client::open(url).map_err(|e| StoreError::Other(format!("redis_url: {e}")))?;
        Ok(RedisVerifyState {
            prefix: config.prefix,
            hash_key,
            admit: Script::new(include_str!("lua/admit.lua")),
            failover_add: Script::new(include_str!("lua/failover_add.lua")),
            reserve: Script::new(include_str!("lua/reserve.lua")),
            index_add: Script::new(include_str!("lua/index_add.lua")),
            release: Script::new(include_str!("lua/release.lua")),
            conn: Conn::new(
                client,
                "verification state",
                config.response_timeout,
                config.connection_timeout,
            ),
        })
    }

    /// Connects now (at start-up, to report an unreachable Redis early).
    pub async fn connect(&self) -> StoreResult<()> {
        self.conn.get().await.map(drop).map_err(unavailable)
    }

    fn hash(&self, parts: &[&str]) -> String {
        hex::encode(&self.hash_key.mac(DOMAIN, parts.join("\u{1f}").as_bytes())[..16])
    }

    /// The key of one send limit's window.
    pub fn limit_key(&self, tenant_id: &str, scope: &SendScope) -> String {
        let (kind, value) = scope.kind_and_value();
        let scope = if matches!(scope, SendScope::Tenant) {
            kind.to_string()
        } else {
            format!("{kind}:{}", self.hash(&[kind, value]))
        };
        format!(
            "{}:vsl:{{t:{}}}:{scope}",
            self.prefix,
            self.hash(&["tenant", tenant_id])
        )
    }

    /// The key of a terminal's failover mappings.
    pub fn failover_key(&self, tenant_id: &str, key: &str) -> String {
        format!(
            "{}:vfo:{}",
            self.prefix,
            self.hash(&["terminal", tenant_id, key])
        )
    }

    fn caller_key(&self, pool: &str, phone_key: &str, caller: &str) -> String {
        format!(
            "{}:vcr:{}",
            self.prefix,
            self.hash(&["caller", pool, phone_key, caller])
        )
    }

    fn index_key(&self, verification_id: &str) -> String {
        format!("{}:vcv:{verification_id}", self.prefix)
    }

    fn scripts(&self) -> [&Script; 5] {
        [
            &self.admit,
            &self.failover_add,
            &self.reserve,
            &self.index_add,
            &self.release,
        ]
    }
}

#[async_trait]
impl SendAdmission for RedisVerifyState {
    async fn admit_send(
        &self,
        rec: &SendRecord,
        limits: &[SendLimit],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Refusal>> {
        if limits.is_empty() {
            return Ok(None);
        }
        let mut call = self.admit.prepare_invoke();
        for l in limits {
            call.key(self.limit_key(&rec.tenant_id, &l.scope));
        }
        call.arg(now.timestamp_millis()).arg(random_base62(16));
        for l in limits {
            call.arg(l.max).arg(l.window_s.saturating_mul(1000));
        }
        let mut pipe = redis::pipe();
        pipe.invoke_script(&call);
        let (reply,): ((i64, i64),) = self
            .conn
            .run(&pipe, &self.scripts())
            .await
            .map_err(unavailable)?;
        Ok(match reply {
            (0, _) => None,
            (i, retry_ms) => Some(Refusal {
                index: usize::try_from(i - 1).unwrap_or(0),
                retry_after: u64::try_from(retry_ms).unwrap_or(1).div_ceil(1000).max(1),
            }),
        })
    }
}

#[async_trait]
impl VerifyHotState for RedisVerifyState {
    async fn add_failover(
        &self,
        tenant_id: &str,
        key: &str,
        supplier_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut call = self.failover_add.key(self.failover_key(tenant_id, key));
        call.arg(supplier_id)
            .arg(expires_at.timestamp_millis())
            .arg(now.timestamp_millis());
        let mut pipe = redis::pipe();
        pipe.invoke_script(&call);
        let _: (i64,) = self
            .conn
            .run(&pipe, &self.scripts())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn failover_suppliers(
        &self,
        tenant_id: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        let mut pipe = redis::pipe();
        pipe.cmd("ZRANGEBYSCORE")
            .arg(self.failover_key(tenant_id, key))
            .arg(format!("({}", now.timestamp_millis()))
            .arg("+inf");
        let (ids,): (Vec<String>,) = self.conn.run(&pipe, &[]).await.map_err(unavailable)?;
        Ok(ids)
    }

    async fn clear_failover(&self, tenant_id: &str, key: &str) -> StoreResult<()> {
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(self.failover_key(tenant_id, key));
        let _: (i64,) = self.conn.run(&pipe, &[]).await.map_err(unavailable)?;
        Ok(())
    }

    async fn reserve_caller(
        &self,
        pool: &str,
        phone_key: &str,
        caller: &str,
        verification_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let ttl = ms_until(until, now);
        let caller_key = self.caller_key(pool, phone_key, caller);
        let mut reserve = self.reserve.key(&caller_key);
        reserve.arg(verification_id).arg(ttl);
        // Noting the key in the index even when the reservation is refused is
        // harmless: release only deletes a caller key holding this verification.
        let mut index = self.index_add.key(self.index_key(verification_id));
        index.arg(&caller_key).arg(ttl);
        let mut pipe = redis::pipe();
        pipe.invoke_script(&reserve).invoke_script(&index);
        let (taken, _): (i64, i64) = self
            .conn
            .run(&pipe, &self.scripts())
            .await
            .map_err(unavailable)?;
        Ok(taken == 1)
    }

    async fn on_approved(
        &self,
        tenant_id: &str,
        key: &str,
        verification_id: &str,
    ) -> StoreResult<()> {
        // One round trip when the verification holds no caller (every channel
        // but flash calls): the exclusions go and the callers are read at once.
        let index = self.index_key(verification_id);
        let mut pipe = redis::pipe();
        pipe.cmd("DEL")
            .arg(self.failover_key(tenant_id, key))
            .ignore()
            .cmd("SMEMBERS")
            .arg(&index);
        let (keys,): (Vec<String>,) = self.conn.run(&pipe, &[]).await.map_err(unavailable)?;
        self.release(verification_id, &index, &keys).await
    }

    async fn release_callers(&self, verification_id: &str) -> StoreResult<()> {
        let index = self.index_key(verification_id);
        let mut pipe = redis::pipe();
        pipe.cmd("SMEMBERS").arg(&index);
        let (keys,): (Vec<String>,) = self.conn.run(&pipe, &[]).await.map_err(unavailable)?;
        self.release(verification_id, &index, &keys).await
    }
}

impl RedisVerifyState {
    /// Frees the caller `keys` a verification holds (listed in `index`).
    async fn release(
        &self,
        verification_id: &str,
        index: &str,
        keys: &[String],
    ) -> StoreResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for k in keys {
            let mut call = self.release.key(k);
            call.arg(verification_id);
            pipe.invoke_script(&call).ignore();
        }
        pipe.cmd("DEL").arg(index).ignore();
        let () = self
            .conn
            .run(&pipe, &self.scripts())
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
