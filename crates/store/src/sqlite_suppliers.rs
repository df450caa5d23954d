//! Suppliers, sandbox subscribers and supplier call records on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::StoreError;
use phoneguard_core::store::StoreResult;
use phoneguard_core::suppliers::{
    CallRecord, CallStats, Capability, LineStatus, SandboxSubscriber, SupplierRecord,
    SupplierStore, TenantCapabilityCount,
};

use crate::rows::{from_ms, map_err, to_ms};
use crate::sqlite::SqliteStore;

/// The columns of `suppliers`, in the order of [`SupplierRow`].
macro_rules! columns {
    () => {
        "id, kind, capabilities, carriers, weight, price_milli, enabled, options, credentials, created_at, updated_at"
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

fn json(v: &[impl AsRef<str>]) -> String {
    serde_json::Value::from(v.iter().map(|s| s.as_ref()).collect::<Vec<_>>()).to_string()
}

fn caps(c: &[Capability]) -> Vec<&'static str> {
    c.iter().map(|c| c.as_str()).collect()
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

#[async_trait]
impl SupplierStore for SqliteStore {
    async fn list_suppliers(&self) -> StoreResult<Vec<SupplierRecord>> {
        let rows: Vec<SupplierRow> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM suppliers ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn get_supplier(&self, id: &str) -> StoreResult<Option<SupplierRecord>> {
        let row: Option<SupplierRow> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM suppliers WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        row.map(TryInto::try_into).transpose()
    }

    async fn insert_supplier(&self, r: &SupplierRecord) -> StoreResult<()> {
        sqlx::query(concat!(
            "INSERT INTO suppliers (",
            columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&r.id)
        .bind(&r.kind)
        .bind(json(&caps(&r.capabilities)))
        .bind(json(&r.carriers))
        .bind(i64::from(r.weight))
        .bind(i64::from(r.price_milli))
        .bind(r.enabled)
        .bind(r.options.to_string())
        .bind(&r.credentials)
        .bind(to_ms(r.created_at))
        .bind(to_ms(r.updated_at))
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn update_supplier(&self, r: &SupplierRecord) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE suppliers SET kind = ?, capabilities = ?, carriers = ?, weight = ?, price_milli = ?, \
             enabled = ?, options = ?, credentials = ?, updated_at = ? WHERE id = ?",
        )
        .bind(&r.kind)
        .bind(json(&caps(&r.capabilities)))
        .bind(json(&r.carriers))
        .bind(i64::from(r.weight))
        .bind(i64::from(r.price_milli))
        .bind(r.enabled)
        .bind(r.options.to_string())
        .bind(&r.credentials)
        .bind(to_ms(r.updated_at))
        .bind(&r.id)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_supplier(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM suppliers WHERE id = ?")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn put_sandbox_subscriber(&self, s: &SandboxSubscriber) -> StoreResult<()> {
        sqlx::query(
            "INSERT OR REPLACE INTO sandbox_subscribers (tenant_id, number_hash, status, name_md5_mac, \
             name_sha256_mac, id_md5_mac, id_sha256_mac, tenure_months, ported_to, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&s.tenant_id)
        .bind(&s.number_hash)
        .bind(s.status.map(LineStatus::code))
        .bind(&s.name_md5_mac)
        .bind(&s.name_sha256_mac)
        .bind(&s.id_md5_mac)
        .bind(&s.id_sha256_mac)
        .bind(s.tenure_months.map(i64::from))
        .bind(&s.ported_to)
        .bind(to_ms(s.updated_at))
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_sandbox_subscriber(
        &self,
        tenant_id: &str,
        number_hash: &str,
    ) -> StoreResult<Option<SandboxSubscriber>> {
        let row: Option<SubscriberRow> = sqlx::query_as(
            "SELECT tenant_id, number_hash, status, name_md5_mac, name_sha256_mac, id_md5_mac, \
             id_sha256_mac, tenure_months, ported_to, updated_at FROM sandbox_subscribers \
             WHERE tenant_id = ? AND number_hash = ?",
        )
        .bind(tenant_id)
        .bind(number_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(map_err)?;
        row.map(|r| {
            let status = match r.status.as_deref() {
                None => None,
                Some(s) => Some(
                    LineStatus::from_code(s)
                        .ok_or_else(|| corrupt("sandbox_subscribers.status", s))?,
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
        })
        .transpose()
    }

    async fn insert_call_records(&self, records: &[CallRecord]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        for r in records {
            sqlx::query(
                "INSERT INTO supplier_calls (at, tenant_id, supplier_id, capability, outcome, latency_us, price_milli) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
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

    async fn supplier_stats(&self, since: DateTime<Utc>) -> StoreResult<Vec<CallStats>> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT supplier_id, outcome, latency_us, price_milli FROM supplier_calls \
             WHERE at >= ? ORDER BY supplier_id, latency_us",
        )
        .bind(to_ms(since))
        .fetch_all(self.pool())
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

    async fn tenant_stats(&self, since: DateTime<Utc>) -> StoreResult<Vec<TenantCapabilityCount>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT tenant_id, capability, COUNT(*) FROM supplier_calls WHERE at >= ? \
             GROUP BY tenant_id, capability ORDER BY tenant_id, capability",
        )
        .bind(to_ms(since))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
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
}
