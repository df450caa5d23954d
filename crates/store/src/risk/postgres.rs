//! Risk results on PostgreSQL: one statement per result, and the reads of a
//! device summary in one snapshot.

use phoneguard_core::risk::RiskRecord;
use phoneguard_core::store::StoreResult;
use sqlx::{Postgres, Transaction};

use super::{columns, json_fields};
use crate::postgres::{PostgresStore, map_err};
use crate::sql::to_ms;

/// Inserts a result.
pub(super) async fn insert(store: &PostgresStore, r: &RiskRecord) -> StoreResult<()> {
    let (types, reasons) = json_fields(r)?;
    sqlx::query(concat!(
        "INSERT INTO risk_results (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&r.token)
    .bind(&r.tenant_id)
    .bind(&r.kind)
    .bind(i32::from(r.level))
    .bind(&r.decision)
    .bind(types)
    .bind(reasons)
    .bind(r.score)
    .bind(&r.device_hash)
    .bind(&r.account_hash)
    .bind(to_ms(r.created_at))
    .bind(to_ms(r.expires_at))
    .bind(&r.ip_hash)
    .execute(store.pool())
    .await
    .map_err(map_err)?;
    Ok(())
}

/// One snapshot for both reads of a device summary, so the latest result is
/// among those counted.
pub(super) async fn snapshot(store: &PostgresStore) -> StoreResult<Transaction<'static, Postgres>> {
    let mut tx = store.pool().begin().await.map_err(map_err)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    Ok(tx)
}

/// Ends the snapshot of [`snapshot`].
pub(super) async fn end_snapshot(tx: Transaction<'static, Postgres>) -> StoreResult<()> {
    tx.commit().await.map_err(map_err)
}
