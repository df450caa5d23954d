//! The `sandbox` supplier: answers from the sandbox subscriber table that tenants
//! fill with `PUT /v1/sandbox/subscribers/{number}`; numbers never set answer
//! `normal`, tenure `24+`, identity `not_found`.
//!
//! Options: `fail_rate` (0–1: the call fails), `drop_rate` (0–1: the call never
//! answers, as a lost reply; the router's deadline ends it), `latency_ms`.
//! Names and ID numbers are compared as keyed hashes of their MD5 and SHA-256
//! forms, so callers may send them in clear or hashed.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use phoneguard_core::secrets::{HashKey, constant_time_eq};
use phoneguard_core::suppliers::{
    Answer, Capability, FieldCheck, IdentityAnswer, IdentityQuery, LineStatus, MatchResult,
    Personal, PortabilityAnswer, Query, SandboxSubscriber, StatusAnswer, Supplier, SupplierError,
    TenureAnswer, TenureBucket,
};
use rand::Rng;
use serde_json::Value;

use crate::{AdapterContext, BuildError};

/// What a tenant sets for one sandbox number (validated by the caller).
#[derive(Clone, Default)]
pub struct SubscriberInput {
    /// Line status; `None`: normal.
    pub status: Option<LineStatus>,
    /// Holder's name in clear (hashed before storage).
    pub name: Option<String>,
    /// Holder's ID number in clear (hashed before storage).
    pub id_number: Option<String>,
    /// Months in network; `None`: 24+.
    pub tenure_months: Option<u32>,
    /// Carrier the number was ported to.
    pub ported_to: Option<String>,
}

/// Keyed hash under which a sandbox number is stored.
pub fn number_hash(key: &HashKey, e164: &str) -> String {
    key.hash("sandbox_number", e164)
}

fn mac(key: &HashKey, domain: &str, v: Option<&String>) -> Option<String> {
    v.map(|v| key.hash(domain, v))
}

/// The stored form of a subscriber: hashes only.
pub fn subscriber(
    key: &HashKey,
    tenant_id: &str,
    e164: &str,
    input: &SubscriberInput,
) -> SandboxSubscriber {
    let name = input.name.as_deref().map(Personal::clear);
    let id = input.id_number.as_deref().map(Personal::clear);
    SandboxSubscriber {
        tenant_id: tenant_id.to_string(),
        number_hash: number_hash(key, e164),
        status: input.status,
        name_md5_mac: mac(
            key,
            "sandbox_md5",
            name.as_ref().and_then(|p| p.md5.as_ref()),
        ),
        name_sha256_mac: mac(
            key,
            "sandbox_sha256",
            name.as_ref().and_then(|p| p.sha256.as_ref()),
        ),
        id_md5_mac: mac(key, "sandbox_md5", id.as_ref().and_then(|p| p.md5.as_ref())),
        id_sha256_mac: mac(
            key,
            "sandbox_sha256",
            id.as_ref().and_then(|p| p.sha256.as_ref()),
        ),
        tenure_months: input.tenure_months,
        ported_to: input.ported_to.clone(),
        updated_at: Utc::now(),
    }
}

/// The sandbox adapter.
pub struct Sandbox {
    ctx: AdapterContext,
    fail_rate: f64,
    drop_rate: f64,
    latency: Duration,
}

fn rate(options: &Value, key: &str) -> Result<f64, BuildError> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(0.0),
        Some(v) => v
            .as_f64()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| BuildError::new(format!("options.{key}"), "a number from 0 to 1")),
    }
}

impl Sandbox {
    /// Builds the adapter from its options.
    pub fn new(options: &Value, ctx: &AdapterContext) -> Result<Self, BuildError> {
        let latency_ms = match options.get("latency_ms") {
            None | Some(Value::Null) => 0,
            Some(v) => v.as_u64().filter(|ms| *ms <= 60_000).ok_or_else(|| {
                BuildError::new("options.latency_ms", "whole milliseconds, 0 to 60000")
            })?,
        };
        Ok(Sandbox {
            ctx: ctx.clone(),
            fail_rate: rate(options, "fail_rate")?,
            drop_rate: rate(options, "drop_rate")?,
            latency: Duration::from_millis(latency_ms),
        })
    }

    fn field(
        &self,
        given: &Personal,
        md5: &Option<String>,
        sha: &Option<String>,
    ) -> Result<MatchResult, SupplierError> {
        let k = &self.ctx.hash_key;
        let cmp = |stored: &Option<String>, domain: &str, v: &Option<String>| match (stored, v) {
            (Some(s), Some(v)) => {
                Some(constant_time_eq(k.hash(domain, v).as_bytes(), s.as_bytes()))
            }
            _ => None,
        };
        if md5.is_none() && sha.is_none() {
            return Ok(MatchResult::NotFound);
        }
        match cmp(md5, "sandbox_md5", &given.md5)
            .or_else(|| cmp(sha, "sandbox_sha256", &given.sha256))
        {
            Some(true) => Ok(MatchResult::Match),
            Some(false) => Ok(MatchResult::Mismatch),
            None => Err(SupplierError::Unsupported("no comparable hash form".into())),
        }
    }

    fn identity(
        &self,
        sub: Option<&SandboxSubscriber>,
        q: &IdentityQuery,
    ) -> Result<IdentityAnswer, SupplierError> {
        let Some(sub) = sub.filter(|s| s.name_md5_mac.is_some()) else {
            return Ok(IdentityAnswer {
                result: MatchResult::NotFound,
                checks: FieldCheck::default(),
            });
        };
        let name = self.field(&q.name, &sub.name_md5_mac, &sub.name_sha256_mac)?;
        let id = match &q.id_number {
            Some(id) => Some(self.field(id, &sub.id_md5_mac, &sub.id_sha256_mac)?),
            None => None,
        };
        let all_match = name == MatchResult::Match && id.is_none_or(|r| r == MatchResult::Match);
        Ok(IdentityAnswer {
            result: if all_match {
                MatchResult::Match
            } else {
                MatchResult::Mismatch
            },
            checks: FieldCheck {
                name: Some(name),
                id_number: id,
            },
        })
    }
}

#[async_trait]
impl Supplier for Sandbox {
    async fn call(&self, q: &Query) -> Result<Answer, SupplierError> {
        let (fail, drop) = {
            let mut rng = rand::rng();
            (
                rng.random_bool(self.fail_rate),
                rng.random_bool(self.drop_rate),
            )
        };
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if drop {
            std::future::pending::<()>().await;
        }
        if fail {
            return Err(SupplierError::Transport("sandbox fault (fail_rate)".into()));
        }
        if let Some(cq) = q
            .carrier
            .as_ref()
            .filter(|_| q.capability == Capability::CarrierAuth)
        {
            return crate::sandbox_carrier::answer(&self.ctx, q, cq)
                .await
                .map(Answer::Carrier);
        }
        let s = &q.subject;
        let hash = number_hash(&self.ctx.hash_key, &s.e164);
        let sub = self
            .ctx
            .store
            .get_sandbox_subscriber(&s.tenant_id, &hash)
            .await
            .map_err(|e| SupplierError::Transport(format!("sandbox store: {e}")))?;
        let original = s.carrier.clone();
        let current = sub
            .as_ref()
            .and_then(|x| x.ported_to.clone())
            .or(original.clone());
        let ported = current.is_some() && current != original;
        Ok(match q.capability {
            Capability::Status => Answer::Status(StatusAnswer {
                status: sub
                    .as_ref()
                    .and_then(|x| x.status)
                    .unwrap_or(LineStatus::Normal),
                carrier: current,
                ported: Some(ported),
            }),
            Capability::Tenure => Answer::Tenure(TenureAnswer {
                bucket: sub
                    .as_ref()
                    .and_then(|x| x.tenure_months)
                    .map_or(TenureBucket::M24Plus, TenureBucket::from_months),
            }),
            Capability::Portability => Answer::Portability(PortabilityAnswer {
                ported,
                original,
                current,
            }),
            Capability::Identity => {
                let iq = q.identity.as_ref().ok_or_else(|| {
                    SupplierError::Unsupported("identity query without a name".into())
                })?;
                Answer::Identity(self.identity(sub.as_ref(), iq)?)
            }
            Capability::Sms | Capability::Voice | Capability::CarrierAuth => {
                return Err(SupplierError::Unsupported(format!(
                    "{} is not answered here",
                    q.capability.as_str()
                )));
            }
        })
    }
}
