//! Supplier call records on PostgreSQL: a batch in one statement, statistics
//! computed by the server.

use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use phoneguard_core::suppliers::{CallRecord, CallStats};

use crate::postgres::{PostgresStore, map_err};
use crate::sql::to_ms;

/// A number the schema keeps non-negative, as the `i32` of an INTEGER column.
pub(super) fn int(what: &str, v: u32) -> StoreResult<i32> {
    i32::try_from(v).map_err(|_| StoreError::Other(format!("{what} {v} is too large")))
}

pub(super) async fn insert_call_records(
    store: &PostgresStore,
    records: &[CallRecord],
) -> StoreResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    // One statement for the batch: a round trip, not one per record.
    let mut at = Vec::with_capacity(records.len());
    let (mut tenant, mut supplier, mut capability, mut outcome) = (vec![], vec![], vec![], vec![]);
    let (mut latency, mut price) = (vec![], vec![]);
    for r in records {
        at.push(to_ms(r.at));
        tenant.push(r.tenant_id.as_str());
        supplier.push(r.supplier_id.as_str());
        capability.push(r.capability.as_str());
        outcome.push(r.outcome.as_str());
        latency.push(r.latency_us);
        price.push(r.price_milli);
    }
    sqlx::query(
        "INSERT INTO supplier_calls (at, tenant_id, supplier_id, capability, outcome, latency_us, price_milli) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], $7::BIGINT[])",
    )
    .bind(at)
    .bind(tenant)
    .bind(supplier)
    .bind(capability)
    .bind(outcome)
    .bind(latency)
    .bind(price)
    .execute(store.pool())
    .await
    .map_err(map_err)?;
    Ok(())
}

pub(super) async fn supplier_stats(
    store: &PostgresStore,
    since: DateTime<Utc>,
) -> StoreResult<Vec<CallStats>> {
    // Nearest-rank percentiles, as on SQLite: `percentile_disc`.
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT supplier_id, COUNT(*), \
         COUNT(*) FILTER (WHERE outcome = 'ok'), \
         COUNT(*) FILTER (WHERE outcome NOT IN ('ok', 'cancelled')), \
         percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_us), \
         percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_us), \
         SUM(price_milli)::BIGINT \
         FROM supplier_calls WHERE at >= $1 \
         GROUP BY supplier_id ORDER BY supplier_id COLLATE \"C\"",
    )
    .bind(to_ms(since))
    .fetch_all(store.pool())
    .await
    .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(
            |(supplier_id, calls, successes, failures, p50, p95, cost_milli)| CallStats {
                supplier_id,
                calls,
                successes,
                failures,
                p50_ms: p50 as f64 / 1000.0,
                p95_ms: p95 as f64 / 1000.0,
                cost_milli,
            },
        )
        .collect())
}
