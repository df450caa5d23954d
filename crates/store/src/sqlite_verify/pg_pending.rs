//! Placeholder so the workspace builds while the PostgreSQL port of the
//! verification tables (migration `0004_verify.sql`) is written: every call
//! answers `StoreError::Other`. Delete this file and its `mod` line once
//! `postgres_verify.rs` implements [`VerifyStore`] for [`PostgresStore`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use phoneguard_core::verify::{
    Attempt, ConversionRow, Delivery, ReceiptTarget, Resend, SendCount, SendRecord, SendScope,
    Status, Verification, VerifyStore,
};

use crate::postgres::PostgresStore;

fn unported<T>() -> StoreResult<T> {
    Err(StoreError::Other(
        "verifications are not yet stored on PostgreSQL; use sqlite://FILE".into(),
    ))
}

#[async_trait]
impl VerifyStore for PostgresStore {
    async fn insert_verification(
        &self,
        _: &Verification,
        _: Option<&SendRecord>,
    ) -> StoreResult<()> {
        unported()
    }
    async fn get_verification(&self, _: &str, _: &str) -> StoreResult<Option<Verification>> {
        unported()
    }
    async fn latest_pending(&self, _: &str, _: &str, _: &str) -> StoreResult<Option<Verification>> {
        unported()
    }
    async fn resend(&self, _: &str, _: &Resend, _: &Attempt, _: &SendRecord) -> StoreResult<bool> {
        unported()
    }
    async fn approve(&self, _: &str, _: &str, _: DateTime<Utc>) -> StoreResult<bool> {
        unported()
    }
    async fn count_wrong_check(
        &self,
        _: &str,
        _: DateTime<Utc>,
    ) -> StoreResult<Option<(u32, Status)>> {
        unported()
    }
    async fn transition(
        &self,
        _: &str,
        _: Status,
        _: Status,
        _: DateTime<Utc>,
    ) -> StoreResult<bool> {
        unported()
    }
    async fn last_attempt_of_terminal(
        &self,
        _: &str,
        _: &str,
        _: DateTime<Utc>,
    ) -> StoreResult<Option<(String, bool)>> {
        unported()
    }
    async fn add_failover(&self, _: &str, _: &str, _: &str, _: DateTime<Utc>) -> StoreResult<()> {
        unported()
    }
    async fn failover_suppliers(
        &self,
        _: &str,
        _: &str,
        _: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        unported()
    }
    async fn clear_failover(&self, _: &str, _: &str) -> StoreResult<()> {
        unported()
    }
    async fn count_sends(
        &self,
        _: &str,
        _: &SendScope,
        _: DateTime<Utc>,
    ) -> StoreResult<SendCount> {
        unported()
    }
    async fn conversion(&self, _: &str, _: DateTime<Utc>) -> StoreResult<Vec<ConversionRow>> {
        unported()
    }
    async fn reserve_caller(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> StoreResult<bool> {
        unported()
    }
    async fn release_callers(&self, _: &str) -> StoreResult<()> {
        unported()
    }
    async fn record_delivery(
        &self,
        _: &str,
        _: &str,
        _: Delivery,
    ) -> StoreResult<Option<ReceiptTarget>> {
        unported()
    }
    async fn tenant_countries(&self, _: &str) -> StoreResult<Option<Vec<String>>> {
        unported()
    }
    async fn set_tenant_countries(&self, _: &str, _: Option<&[String]>) -> StoreResult<()> {
        unported()
    }
    async fn tenant_templates(&self, tenant_id: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT templates FROM verify_tenant_templates WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(self.pool())
            .await
            .map_err(crate::postgres::map_err)
    }
    async fn set_tenant_templates(&self, tenant_id: &str, json: Option<&str>) -> StoreResult<()> {
        let q = match json {
            Some(j) => sqlx::query(
                "INSERT INTO verify_tenant_templates (tenant_id, templates) VALUES ($1, $2) \
                 ON CONFLICT (tenant_id) DO UPDATE SET templates = excluded.templates",
            )
            .bind(tenant_id)
            .bind(j),
            None => sqlx::query("DELETE FROM verify_tenant_templates WHERE tenant_id = $1")
                .bind(tenant_id),
        };
        q.execute(self.pool())
            .await
            .map_err(crate::postgres::map_err)?;
        Ok(())
    }
    async fn purge_verify(&self, _: DateTime<Utc>, _: DateTime<Utc>) -> StoreResult<u64> {
        unported()
    }
}
