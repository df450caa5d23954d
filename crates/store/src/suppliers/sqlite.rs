//! Supplier call records on SQLite: inserted row by row in one transaction,
//! their statistics computed here (SQLite has no percentile function).

use chrono::{DateTime, Utc};
use phoneguard_core::store::StoreResult;
use phoneguard_core::suppliers::{CallRecord, CallStats};

use crate::sql::{map_err, to_ms};
use crate::sqlite::SqliteStore;

/// A `u32` as stored in an INTEGER column (SQLite's integers have 64 bits).
pub(super) fn int(_what: &str, v: u32) -> StoreResult<i64> {
    Ok(i64::from(v))
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

pub(super) async fn insert_call_records(
    store: &SqliteStore,
    records: &[CallRecord],
) -> StoreResult<()> {
    let mut conn = store.pool().acquire().await.map_err(map_err)?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(map_err)?;
    for r in records {
        sqlx::query(
            "INSERT INTO supplier_calls (at, tenant_id, supplier_id, capability, outcome, latency_us, price_milli) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(to_ms(r.at))
        .bind(&r.tenant_id)
        .bind(&r.supplier_id)
        .bind(r.capability.as_str())
        .bind(&r.outcome)
        .bind(r.latency_us)
        .bind(r.price_milli)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    }
    tx.commit().await.map_err(map_err)
}

pub(super) async fn supplier_stats(
    store: &SqliteStore,
    since: DateTime<Utc>,
) -> StoreResult<Vec<CallStats>> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT supplier_id, outcome, latency_us, price_milli FROM supplier_calls \
         WHERE at >= $1 ORDER BY supplier_id, latency_us",
    )
    .bind(to_ms(since))
    .fetch_all(store.pool())
    .await
    .map_err(map_err)?;
    let mut out: Vec<CallStats> = vec![];
    let mut latencies: Vec<Vec<i64>> = vec![];
    for (supplier, outcome, latency, price) in rows {
        if out.last().is_none_or(|s| s.supplier_id != supplier) {
            out.push(CallStats {
                supplier_id: supplier,
                calls: 0,
                successes: 0,
                failures: 0,
                p50_ms: 0.0,
                p95_ms: 0.0,
                cost_milli: 0,
            });
            latencies.push(vec![]);
        }
        let (s, l) = (out.last_mut().unwrap(), latencies.last_mut().unwrap());
        s.calls += 1;
        if outcome == "ok" {
            s.successes += 1;
        } else if outcome != "cancelled" {
            s.failures += 1;
        }
        s.cost_milli += price;
        l.push(latency);
    }
    for (s, l) in out.iter_mut().zip(&latencies) {
        s.p50_ms = percentile(l, 0.50);
        s.p95_ms = percentile(l, 0.95);
    }
    Ok(out)
}
