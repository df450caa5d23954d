//! Row types shared by the SQL backends and their conversion to domain records.

use chrono::{DateTime, TimeZone, Utc};
use phoneguard_core::{ApiKey, KeyMode, StoreError, Tenant};

/// Unix milliseconds → UTC time.
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// UTC time → Unix milliseconds.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

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

/// Maps a sqlx error to the storage error callers act on.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() || db.is_foreign_key_violation() => {
            StoreError::Conflict(db.message().to_string())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(db) if db.message().contains("database is locked") => {
            StoreError::Unavailable(db.message().to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}
