//! [`SupplierStore`] on both backends: suppliers, sandbox subscribers and
//! supplier call records.

use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use phoneguard_core::suppliers::access_keys::AccessKeyRecord;
use phoneguard_core::suppliers::{
    CallRecord, CallStats, Capability, LineStatus, SandboxSubscriber, SupplierRecord,
    SupplierStore, TenantCapabilityCount,
};

use crate::sql::{from_ms, to_ms};

mod postgres;
mod sqlite;

/// The columns of `suppliers` as [`SupplierRow`] reads them (INTEGER columns
/// as BIGINT, which both backends decode as i64).
macro_rules! columns {
    () => {
        "id, kind, capabilities, carriers, CAST(weight AS BIGINT) AS weight, \
         CAST(price_milli AS BIGINT) AS price_milli, enabled, options, credentials, created_at, \
         updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct SupplierRow {
    id: String,
    kind: String,
    capabilities: String,
    carriers: String,
    weight: i64,
    price_milli: i64,
    enabled: bool,
    options: String,
    credentials: Option<Vec<u8>>,
    created_at: i64,
    updated_at: i64,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("suppliers.{what} is not valid: {e}"))
}

impl TryFrom<SupplierRow> for SupplierRecord {
    type Error = StoreError;
    fn try_from(r: SupplierRow) -> Result<Self, StoreError> {
        Ok(SupplierRecord {
            capabilities: serde_json::from_str(&r.capabilities)
                .map_err(|e| corrupt("capabilities", e))?,
            carriers: serde_json::from_str(&r.carriers).map_err(|e| corrupt("carriers", e))?,
            options: serde_json::from_str(&r.options).map_err(|e| corrupt("options", e))?,
            weight: u32::try_from(r.weight).map_err(|e| corrupt("weight", e))?,
            price_milli: u32::try_from(r.price_milli).map_err(|e| corrupt("price_milli", e))?,
            id: r.id,
            kind: r.kind,
            enabled: r.enabled,
            credentials: r.credentials,
            created_at: from_ms(r.created_at),
            updated_at: from_ms(r.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct SubscriberRow {
    tenant_id: String,
    number_hash: String,
    status: Option<String>,
    name_md5_mac: Option<String>,
    name_sha256_mac: Option<String>,
    id_md5_mac: Option<String>,
    id_sha256_mac: Option<String>,
    tenure_months: Option<i64>,
    ported_to: Option<String>,
    updated_at: i64,
}

impl TryFrom<SubscriberRow> for SandboxSubscriber {
    type Error = StoreError;
    fn try_from(r: SubscriberRow) -> Result<Self, StoreError> {
        let status = match r.status.as_deref() {
            None => None,
            Some(s) => Some(
                LineStatus::from_code(s).ok_or_else(|| corrupt("sandbox_subscribers.status", s))?,
            ),
        };
        Ok(SandboxSubscriber {
            tenant_id: r.tenant_id,
            number_hash: r.number_hash,
            status,
            name_md5_mac: r.name_md5_mac,
            name_sha256_mac: r.name_sha256_mac,
            id_md5_mac: r.id_md5_mac,
            id_sha256_mac: r.id_sha256_mac,
            tenure_months: r.tenure_months.and_then(|m| u32::try_from(m).ok()),
            ported_to: r.ported_to,
            updated_at: from_ms(r.updated_at),
        })
    }
}

fn json(v: &[impl AsRef<str>]) -> String {
    serde_json::Value::from(v.iter().map(|s| s.as_ref()).collect::<Vec<_>>()).to_string()
}

fn caps(c: &[Capability]) -> Vec<&'static str> {
    c.iter().map(|c| c.as_str()).collect()
}

/// Implements [`SupplierStore`] for `$store` on backend `$d` (see
/// [`crate::sql`]). `$d::int` stores a `u32` as the backend's INTEGER.
macro_rules! impl_supplier_store {
    ($store:ty, $d:ident) => {
        #[async_trait::async_trait]
        impl SupplierStore for $store {
            async fn list_suppliers(&self) -> StoreResult<Vec<SupplierRecord>> {
                let rows: Vec<SupplierRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM suppliers ORDER BY id",
                    bytewise!($d)
                ))
                .fetch_all(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn get_supplier(&self, id: &str) -> StoreResult<Option<SupplierRecord>> {
                let row: Option<SupplierRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    columns!(),
                    " FROM suppliers WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }

            async fn insert_supplier(&self, r: &SupplierRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO suppliers (id, kind, capabilities, carriers, weight, price_milli, \
                     enabled, options, credentials, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&r.id)
                .bind(&r.kind)
                .bind(json(&caps(&r.capabilities)))
                .bind(json(&r.carriers))
                .bind($d::int("weight", r.weight)?)
                .bind($d::int("price_milli", r.price_milli)?)
                .bind(r.enabled)
                .bind(r.options.to_string())
                .bind(&r.credentials)
                .bind(to_ms(r.created_at))
                .bind(to_ms(r.updated_at))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn update_supplier(&self, r: &SupplierRecord) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE suppliers SET kind = $1, capabilities = $2, carriers = $3, weight = $4, \
                     price_milli = $5, enabled = $6, options = $7, credentials = $8, updated_at = $9 \
                     WHERE id = $10",
                )
                .bind(&r.kind)
                .bind(json(&caps(&r.capabilities)))
                .bind(json(&r.carriers))
                .bind($d::int("weight", r.weight)?)
                .bind($d::int("price_milli", r.price_milli)?)
                .bind(r.enabled)
                .bind(r.options.to_string())
                .bind(&r.credentials)
                .bind(to_ms(r.updated_at))
                .bind(&r.id)
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_supplier(&self, id: &str) -> StoreResult<bool> {
                let done = sqlx::query("DELETE FROM suppliers WHERE id = $1")
                    .bind(id)
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn put_sandbox_subscriber(&self, s: &SandboxSubscriber) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sandbox_subscribers (tenant_id, number_hash, status, name_md5_mac, \
                     name_sha256_mac, id_md5_mac, id_sha256_mac, tenure_months, ported_to, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (tenant_id, number_hash) DO UPDATE SET status = excluded.status, \
                     name_md5_mac = excluded.name_md5_mac, name_sha256_mac = excluded.name_sha256_mac, \
                     id_md5_mac = excluded.id_md5_mac, id_sha256_mac = excluded.id_sha256_mac, \
                     tenure_months = excluded.tenure_months, ported_to = excluded.ported_to, \
                     updated_at = excluded.updated_at",
                )
                .bind(&s.tenant_id)
                .bind(&s.number_hash)
                .bind(s.status.map(LineStatus::code))
                .bind(&s.name_md5_mac)
                .bind(&s.name_sha256_mac)
                .bind(&s.id_md5_mac)
                .bind(&s.id_sha256_mac)
                .bind(s.tenure_months.map(|m| $d::int("tenure_months", m)).transpose()?)
                .bind(&s.ported_to)
                .bind(to_ms(s.updated_at))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn get_sandbox_subscriber(
                &self,
                tenant_id: &str,
                number_hash: &str,
            ) -> StoreResult<Option<SandboxSubscriber>> {
                let row: Option<SubscriberRow> = sqlx::query_as(
                    "SELECT tenant_id, number_hash, status, name_md5_mac, name_sha256_mac, \
                     id_md5_mac, id_sha256_mac, CAST(tenure_months AS BIGINT) AS tenure_months, \
                     ported_to, updated_at FROM sandbox_subscribers \
                     WHERE tenant_id = $1 AND number_hash = $2",
                )
                .bind(tenant_id)
                .bind(number_hash)
                .fetch_optional(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }

            async fn insert_call_records(&self, records: &[CallRecord]) -> StoreResult<()> {
                $d::insert_call_records(self, records).await
            }

            async fn supplier_stats(&self, since: DateTime<Utc>) -> StoreResult<Vec<CallStats>> {
                $d::supplier_stats(self, since).await
            }

            async fn tenant_stats(
                &self,
                since: DateTime<Utc>,
            ) -> StoreResult<Vec<TenantCapabilityCount>> {
                let rows: Vec<(String, String, i64)> = sqlx::query_as(concat!(
                    "SELECT tenant_id, capability, COUNT(*) FROM supplier_calls WHERE at >= $1 \
                     GROUP BY tenant_id, capability ORDER BY tenant_id",
                    bytewise!($d),
                    ", capability",
                    bytewise!($d)
                ))
                .bind(to_ms(since))
                .fetch_all(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(rows
                    .into_iter()
                    .filter(|(_, c, _)| Capability::parse(c).is_some())
                    .map(|(tenant_id, capability, calls)| TenantCapabilityCount {
                        tenant_id,
                        capability,
                        calls,
                    })
                    .collect())
            }

            async fn consume_carrier_token(
                &self,
                token_hash: &str,
                expires_at: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let now = to_ms(Utc::now());
                sqlx::query("DELETE FROM carrier_token_uses WHERE expires_at < $1")
                    .bind(now)
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                let done = sqlx::query(
                    "INSERT INTO carrier_token_uses (token_hash, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (token_hash) DO NOTHING",
                )
                .bind(token_hash)
                .bind(to_ms(expires_at))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_access_key(&self, k: &AccessKeyRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO tenant_access_keys (id, tenant_id, mode, secret, created_at, \
                     revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&k.id)
                .bind(&k.tenant_id)
                .bind(k.mode.as_str())
                .bind(&k.secret)
                .bind(to_ms(k.created_at))
                .bind(k.revoked_at.map(to_ms))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn get_access_key(&self, id: &str) -> StoreResult<Option<AccessKeyRecord>> {
                let row: Option<AccessKeyRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    access_key_columns!(),
                    " FROM tenant_access_keys WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_access_keys(&self, tenant_id: &str) -> StoreResult<Vec<AccessKeyRecord>> {
                let rows: Vec<AccessKeyRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    access_key_columns!(),
                    " FROM tenant_access_keys WHERE tenant_id = $1 ORDER BY created_at, id"
                ))
                .bind(tenant_id)
                .fetch_all(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn revoke_access_key(
                &self,
                tenant_id: &str,
                id: &str,
                at: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE tenant_access_keys SET revoked_at = $1 \
                     WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL",
                )
                .bind(to_ms(at))
                .bind(tenant_id)
                .bind(id)
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

macro_rules! access_key_columns {
    () => {
        "id, tenant_id, mode, secret, created_at, revoked_at"
    };
}

#[derive(sqlx::FromRow)]
struct AccessKeyRow {
    id: String,
    tenant_id: String,
    mode: String,
    secret: Vec<u8>,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<AccessKeyRow> for AccessKeyRecord {
    type Error = StoreError;
    fn try_from(r: AccessKeyRow) -> Result<Self, StoreError> {
        Ok(AccessKeyRecord {
            mode: phoneguard_core::KeyMode::parse(&r.mode)
                .ok_or_else(|| corrupt("tenant_access_keys.mode", &r.mode))?,
            id: r.id,
            tenant_id: r.tenant_id,
            secret: r.secret,
            created_at: from_ms(r.created_at),
            revoked_at: r.revoked_at.map(from_ms),
        })
    }
}

impl_supplier_store!(crate::sqlite::SqliteStore, sqlite);
impl_supplier_store!(crate::postgres::PostgresStore, postgres);
