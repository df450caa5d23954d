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

/// Inserts a device or updates its fingerprint, signals and last sighting
/// (`$1` tenant, `$2` id, `$3` fingerprint, `$4` signals, `$5` first seen,
/// `$6` last seen).
macro_rules! upsert_device {
    () => {
        "INSERT INTO devices (tenant_id, id, fingerprint, signals, first_seen, last_seen) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, id) DO UPDATE SET \
         fingerprint = excluded.fingerprint, signals = excluded.signals, last_seen = excluded.last_seen"
    };
}

/// Records the fingerprint as seen with the device at its last sighting (the
/// parameters of [`upsert_device`]), from the row `$rows` (`VALUES …` or a
/// `SELECT`).
macro_rules! upsert_sighting {
    ($rows:literal) => {
        concat!(
            "INSERT INTO device_fingerprints (tenant_id, fingerprint, device_id, first_seen, last_seen) ",
            $rows,
            " ON CONFLICT (tenant_id, fingerprint, device_id) DO UPDATE SET last_seen = excluded.last_seen"
        )
    };
}

/// Binds a device to a query of [`upsert_device`]'s parameters.
fn bind_device<'q, DB>(
    q: sqlx::query::Query<'q, DB, DB::Arguments>,
    d: &Device,
) -> sqlx::query::Query<'q, DB, DB::Arguments>
where
    DB: sqlx::Database,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.bind(d.tenant_id.clone())
        .bind(d.id.clone())
        .bind(d.fingerprint.clone())
        .bind(d.signals.clone())
        .bind(to_ms(d.first_seen))
        .bind(to_ms(d.last_seen))
}

mod sqlite {
    use super::*;

    /// Both statements in one job of the group-commit writer: one round trip
    /// to the writer, committed with whatever else is waiting.
    pub(super) async fn write_device(
        store: &crate::sqlite::SqliteStore,
        d: &Device,
    ) -> StoreResult<()> {
        let d = d.clone();
        store
            .verify_writer()
            .write(move |c: &mut sqlx::SqliteConnection| {
                Box::pin(async move {
                    let sql = crate::sqlite_commit::in_savepoint(&[
                        upsert_device!(),
                        upsert_sighting!("VALUES ($1, $3, $2, $6, $6)"),
                    ]);
                    bind_device(sqlx::query(sql), &d)
                        .execute(&mut *c)
                        .await
                        .map_err(crate::sqlite::map_err)?;
                    Ok(())
                })
            })
            .await
    }
}

mod postgres {
    use super::*;

    /// One statement: the device's row, then its sighting (a data-modifying
    /// CTE, so the foreign key sees the device).
    pub(super) async fn write_device(
        store: &crate::postgres::PostgresStore,
        d: &Device,
    ) -> StoreResult<()> {
        bind_device(
            sqlx::query(concat!(
                "WITH d AS (",
                upsert_device!(),
                " RETURNING 1) ",
                upsert_sighting!("SELECT $1, $3, $2, $6, $6 FROM d")
            )),
            d,
        )
        .execute(store.pool())
        .await
        .map_err(crate::postgres::map_err)?;
        Ok(())
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
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(row.map(Into::into))
            }

            async fn put_device(&self, d: &Device) -> StoreResult<()> {
                $d::write_device(self, d).await
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
                .fetch_all(self.readers())
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
