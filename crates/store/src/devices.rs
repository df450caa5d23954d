//! [`DeviceStore`] on both backends: publishable keys and issued devices.

use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::devices::{Device, DeviceStore, PublishableKey};
use phoneguard_core::store::StoreResult;

use crate::sql::{from_ms, to_ms};

/// The columns of `publishable_keys`, in the order of [`KeyRow`].
macro_rules! pub_key_columns {
    () => {
        "id, tenant_id, live, hash, hint, allowed_origins, created_at, revoked_at"
    };
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    tenant_id: String,
    live: bool,
    hash: String,
    hint: String,
    allowed_origins: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<KeyRow> for PublishableKey {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        let allowed_origins = serde_json::from_str(&r.allowed_origins).map_err(|e| {
            StoreError::Other(format!("publishable_keys.allowed_origins of {}: {e}", r.id))
        })?;
        Ok(PublishableKey {
            id: r.id,
            tenant_id: r.tenant_id,
            live: r.live,
            hash: r.hash,
            hint: r.hint,
            allowed_origins,
            created_at: from_ms(r.created_at),
            revoked_at: r.revoked_at.map(from_ms),
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    tenant_id: String,
    id: String,
    fingerprint: String,
    signals: String,
    first_seen: i64,
    last_seen: i64,
}

impl From<DeviceRow> for Device {
    fn from(r: DeviceRow) -> Self {
        Device {
            id: r.id,
            tenant_id: r.tenant_id,
            fingerprint: r.fingerprint,
            signals: r.signals,
            first_seen: from_ms(r.first_seen),
            last_seen: from_ms(r.last_seen),
        }
    }
}

fn origins_json(k: &PublishableKey) -> String {
    serde_json::to_string(&k.allowed_origins).unwrap_or_else(|_| "[]".into())
}

macro_rules! impl_device_store {
    ($store:ty, $d:ident) => {
        #[async_trait::async_trait]
        impl DeviceStore for $store {
            async fn create_publishable_key(&self, k: &PublishableKey) -> StoreResult<()> {
                sqlx::query(concat!(
                    "INSERT INTO publishable_keys (",
                    pub_key_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ))
                .bind(&k.id)
                .bind(&k.tenant_id)
                .bind(k.live)
                .bind(&k.hash)
                .bind(&k.hint)
                .bind(origins_json(k))
                .bind(to_ms(k.created_at))
                .bind(k.revoked_at.map(to_ms))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn find_publishable_key_by_hash(
                &self,
                hash: &str,
            ) -> StoreResult<Option<PublishableKey>> {
                let row: Option<KeyRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    pub_key_columns!(),
                    " FROM publishable_keys WHERE hash = $1"
                ))
                .bind(hash)
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_publishable_keys(
                &self,
                tenant_id: &str,
            ) -> StoreResult<Vec<PublishableKey>> {
                let rows: Vec<KeyRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    pub_key_columns!(),
                    " FROM publishable_keys WHERE tenant_id = $1 ORDER BY created_at, id"
                ))
                .bind(tenant_id)
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn publishable_origins(&self) -> StoreResult<Vec<String>> {
                let rows: Vec<String> = sqlx::query_scalar(
                    "SELECT allowed_origins FROM publishable_keys WHERE revoked_at IS NULL",
                )
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(rows
                    .iter()
                    .filter_map(|r| serde_json::from_str::<Vec<String>>(r).ok())
                    .flatten()
                    .collect())
            }

            async fn revoke_publishable_key(
                &self,
                id: &str,
                at: DateTime<Utc>,
            ) -> StoreResult<Option<PublishableKey>> {
                let row: Option<KeyRow> = sqlx::query_as(concat!(
                    "UPDATE publishable_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING ",
                    pub_key_columns!()
                ))
                .bind(to_ms(at))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }

            async fn get_device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Device>> {
                let row: Option<DeviceRow> = sqlx::query_as(
                    "SELECT tenant_id, id, fingerprint, signals, first_seen, last_seen \
                     FROM devices WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(row.map(Into::into))
            }

            async fn put_device(&self, d: &Device) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO devices (tenant_id, id, fingerprint, signals, first_seen, last_seen) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, id) DO UPDATE SET \
                     fingerprint = excluded.fingerprint, signals = excluded.signals, \
                     last_seen = excluded.last_seen",
                )
                .bind(&d.tenant_id)
                .bind(&d.id)
                .bind(&d.fingerprint)
                .bind(&d.signals)
                .bind(to_ms(d.first_seen))
                .bind(to_ms(d.last_seen))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                sqlx::query(
                    "INSERT INTO device_fingerprints (tenant_id, fingerprint, device_id, first_seen, last_seen) \
                     VALUES ($1, $2, $3, $4, $4) ON CONFLICT (tenant_id, fingerprint, device_id) \
                     DO UPDATE SET last_seen = excluded.last_seen",
                )
                .bind(&d.tenant_id)
                .bind(&d.fingerprint)
                .bind(&d.id)
                .bind(to_ms(d.last_seen))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn devices_with_fingerprint(
                &self,
                tenant_id: &str,
                fingerprint: &str,
                since: DateTime<Utc>,
                limit: i64,
            ) -> StoreResult<Vec<String>> {
                sqlx::query_scalar(
                    "SELECT device_id FROM device_fingerprints WHERE tenant_id = $1 \
                     AND fingerprint = $2 AND last_seen >= $3 ORDER BY last_seen DESC LIMIT $4",
                )
                .bind(tenant_id)
                .bind(fingerprint)
                .bind(to_ms(since))
                .bind(limit)
                .fetch_all(self.pool())
                .await
                .map_err(crate::$d::map_err)
            }

            async fn device_fingerprint_count(&self, tenant_id: &str, id: &str) -> StoreResult<i64> {
                sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM device_fingerprints \
                     WHERE tenant_id = $1 AND device_id = $2",
                )
                .bind(tenant_id)
                .bind(id)
                .fetch_one(self.readers())
                .await
                .map_err(crate::$d::map_err)
            }
        }
    };
}

impl_device_store!(crate::sqlite::SqliteStore, sqlite);
impl_device_store!(crate::postgres::PostgresStore, postgres);
