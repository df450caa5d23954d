//! The store root ([`Store`]) on both backends: server settings (`meta`),
//! tenants and API keys.

use chrono::{DateTime, Utc};
use phoneguard_core::store::StoreResult;
use phoneguard_core::{ApiKey, KeyMode, Store, StoreError, Tenant, TenantStore};

use crate::sql::{from_ms, to_ms};

/// The columns of `api_keys`, in the order of [`ApiKeyRow`].
macro_rules! key_columns {
    () => {
        "id, tenant_id, mode, hash, hint, created_at, revoked_at"
    };
}
pub(crate) use key_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Tenant {
            id: r.id,
            name: r.name,
            created_at: from_ms(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeyRow {
    pub id: String,
    pub tenant_id: String,
    pub mode: String,
    pub hash: String,
    pub hint: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        let mode = KeyMode::parse(&r.mode).ok_or_else(|| {
            StoreError::Other(format!("api_keys.mode has unknown value {:?}", r.mode))
        })?;
        Ok(ApiKey {
            id: r.id,
            tenant_id: r.tenant_id,
            mode,
            hash: r.hash,
            hint: r.hint,
            created_at: from_ms(r.created_at),
            revoked_at: r.revoked_at.map(from_ms),
        })
    }
}

/// Implements [`Store`] (the server settings) and [`TenantStore`] for `$store`
/// on backend `$d` (see [`crate::sql`]).
macro_rules! impl_store {
    ($store:ty, $d:ident) => {
        #[async_trait::async_trait]
        impl Store for $store {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1")
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn get_meta(&self, key: &str) -> StoreResult<Option<String>> {
                sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
                    .bind(key)
                    .fetch_optional(self.readers())
                    .await
                    .map_err(crate::$d::map_err)
            }

            async fn put_meta_if_absent(&self, key: &str, value: &str) -> StoreResult<String> {
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(value)
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                self.get_meta(key)
                    .await?
                    .ok_or_else(|| StoreError::Other(format!("meta {key} vanished after insert")))
            }

            async fn put_meta(&self, key: &str, value: &str) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }


            async fn delete_meta(&self, key: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM meta WHERE key = $1")
                    .bind(key)
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl TenantStore for $store {
            async fn create_tenant(&self, t: &Tenant) -> StoreResult<()> {
                sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(&t.id)
                    .bind(&t.name)
                    .bind(to_ms(t.created_at))
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn get_tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
                let row: Option<TenantRow> =
                    sqlx::query_as("SELECT id, name, created_at FROM tenants WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.readers())
                        .await
                        .map_err(crate::$d::map_err)?;
                Ok(row.map(Into::into))
            }

            async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
                let rows: Vec<TenantRow> = sqlx::query_as(concat!(
                    "SELECT id, name, created_at FROM tenants ORDER BY created_at, id",
                    bytewise!($d)
                ))
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn count_tenants(&self) -> StoreResult<i64> {
                sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
                    .fetch_one(self.readers())
                    .await
                    .map_err(crate::$d::map_err)
            }

            async fn create_api_key(&self, k: &ApiKey) -> StoreResult<()> {
                sqlx::query(concat!(
                    "INSERT INTO api_keys (",
                    key_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(&k.id)
                .bind(&k.tenant_id)
                .bind(k.mode.as_str())
                .bind(&k.hash)
                .bind(&k.hint)
                .bind(to_ms(k.created_at))
                .bind(k.revoked_at.map(to_ms))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn find_api_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>> {
                let row: Option<ApiKeyRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    key_columns!(),
                    " FROM api_keys WHERE hash = $1"
                ))
                .bind(hash)
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_api_keys(&self, tenant_id: &str) -> StoreResult<Vec<ApiKey>> {
                let rows: Vec<ApiKeyRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    key_columns!(),
                    " FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id",
                    bytewise!($d)
                ))
                .bind(tenant_id)
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn revoke_api_key(
                &self,
                id: &str,
                at: DateTime<Utc>,
            ) -> StoreResult<Option<ApiKey>> {
                let row: Option<ApiKeyRow> = sqlx::query_as(concat!(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING ",
                    key_columns!()
                ))
                .bind(to_ms(at))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                row.map(TryInto::try_into).transpose()
            }
        }
    };
}

impl_store!(crate::sqlite::SqliteStore, sqlite);
impl_store!(crate::postgres::PostgresStore, postgres);
