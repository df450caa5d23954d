//! The `Store` port: durable state behind one trait, one implementation per database.

use async_trait::async_trait;

pub mod error;

pub use error::{StoreError, StoreResult};

use crate::dashboard::DashboardStore;
use crate::devices::DeviceStore;
use crate::ops::OpsStore;
use crate::risk::RiskStore;
use crate::suppliers::SupplierStore;
use crate::tenants::TenantStore;
use crate::twilio::TwilioStore;
use crate::verify::VerifyStore;

/// Durable state: server settings (`meta`) here, and every area's store port
/// (tenants and keys, suppliers, verifications, risk results, call records,
/// usage, dashboard sessions) as a supertrait.
///
/// Implementations: SQLite (embedded default) and PostgreSQL (several nodes). Every
/// method is a single statement or a short transaction; none holds a lock across
/// an await on anything but the database.
#[async_trait]
pub trait Store:
    TenantStore
    + RiskStore
    + SupplierStore
    + VerifyStore
    + OpsStore
    + DashboardStore
    + TwilioStore
    + DeviceStore
    + Send
    + Sync
    + 'static
{
    /// Cheap round trip proving the database answers (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    /// Reads a server setting.
    async fn get_meta(&self, key: &str) -> StoreResult<Option<String>>;
    /// Stores `value` under `key` unless a value is there already; returns the value
    /// that is stored afterwards (so concurrent first starts agree on one).
    async fn put_meta_if_absent(&self, key: &str, value: &str) -> StoreResult<String>;
    /// Stores `value` under `key`, replacing any value there.
    async fn put_meta(&self, key: &str, value: &str) -> StoreResult<()>;
    /// Removes `key` (nothing when it is absent).
    async fn delete_meta(&self, key: &str) -> StoreResult<()>;
}
