//! [`RedisNonces`]: the `SignatureNonce`s accepted by the Aliyun-compatible
//! front of every node of a deployment, on one Redis, so a signed request
//! replayed on another node is refused too.
//!
//! Keys: `{prefix}:acsn:HASH`, a keyed hash of the AccessKey id and the nonce,
//! set with `SET … NX PX ttl` (one round trip, atomic): the first node to set
//! it serves the request, every later one finds it. The TTL is the front's
//! whole date window, so a nonce is remembered as long as its request could be
//! accepted.

use std::time::Duration;

use async_trait::async_trait;
use phoneguard_core::secrets::HashKey;
use phoneguard_core::suppliers::access_keys::NonceLedger;
use redis::Client;

use crate::conn::Conn;

/// Hash domain of the keys.
const DOMAIN: &str = "aliyun_nonce";

/// [`NonceLedger`] on Redis, shared by every node of a deployment.
pub struct RedisNonces {
    prefix: String,
    hash_key: HashKey,
    conn: Conn,
}

impl RedisNonces {
    /// The ledger at `url` under `prefix` (one per deployment sharing a
    /// Redis), keys hashed under `hash_key`. Only checks the URL: the
    /// connection is made on first use.
    pub fn new(url: &str, prefix: &str, hash_key: HashKey) -> Result<Self, String> {
        let client = Client::open(url).map_err(|e| format!("redis_url: {e}"))?;
        Ok(RedisNonces {
            prefix: prefix.to_string(),
            hash_key,
            conn: Conn::new(
                client,
                "Aliyun front nonces",
                Duration::from_millis(250),
                Duration::from_secs(1),
            ),
        })
    }

    /// The Redis key of nonce `key`.
    pub fn key(&self, key: &str) -> String {
        format!(
            "{}:acsn:{}",
            self.prefix,
            hex::encode(&self.hash_key.mac(DOMAIN, key.as_bytes())[..16])
        )
    }
}

#[async_trait]
impl NonceLedger for RedisNonces {
    async fn first_use(&self, key: &str, ttl: Duration) -> Result<bool, String> {
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(self.key(key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64);
        let (set,): (Option<String>,) = self.conn.run(&pipe, &[]).await?;
        Ok(set.is_some())
    }
}
