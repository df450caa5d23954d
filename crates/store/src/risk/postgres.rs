//! Risk results on PostgreSQL: written in groups ([`RiskBatcher`]), and the
//! reads of a device summary in one snapshot.

use phoneguard_core::StoreError;
use phoneguard_core::risk::RiskRecord;
use phoneguard_core::store::StoreResult;
use sqlx::Postgres;
use tokio::sync::{mpsc, oneshot};

use crate::conns::{PgConns, Tx};

use super::{columns, json_fields};
use crate::postgres::{PostgresStore, map_err};
use crate::sql::to_ms;

/// Inserts a result: queued for the store's [`RiskBatcher`], answered once
/// the statement holding it has committed.
pub(super) async fn insert(store: &PostgresStore, r: &RiskRecord) -> StoreResult<()> {
    store.risk_batcher().insert(r.clone()).await
}

type Queued = (RiskRecord, oneshot::Sender<StoreResult<()>>);

/// Group commit of risk results on PostgreSQL: one task writes every result
/// queued while its previous statement ran in one `INSERT … SELECT FROM
/// UNNEST(…)` (at most [`BATCH`] rows), so at 1,000 events/s PostgreSQL
/// parses, plans and commits a statement per batch, not per event. A batch
/// refused for a constraint (a tenant deleted meanwhile) is written again
/// row by row, so one bad row fails only its own request.
pub(crate) struct RiskBatcher {
    queue: mpsc::UnboundedSender<Queued>,
}

/// Most results in one statement.
const BATCH: usize = 256;

impl RiskBatcher {
    /// Starts the writing task on `pool`; it ends when the batcher is dropped.
    pub(crate) fn spawn(pool: PgConns) -> Self {
        let (queue, mut rx) = mpsc::unbounded_channel::<Queued>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(q) => batch.push(q),
                        Err(_) => break,
                    }
                }
                write_batch(&pool, &mut batch).await;
            }
        });
        RiskBatcher { queue }
    }

    async fn insert(&self, r: RiskRecord) -> StoreResult<()> {
        let (done, answer) = oneshot::channel();
        let gone = || StoreError::Unavailable("the risk writer has stopped".into());
        self.queue.send((r, done)).map_err(|_| gone())?;
        answer.await.unwrap_or_else(|_| Err(gone()))
    }
}

/// Writes and answers `batch` (emptied).
async fn write_batch(pool: &PgConns, batch: &mut Vec<Queued>) {
    let records: Vec<&RiskRecord> = batch.iter().map(|(r, _)| r).collect();
    let result = insert_rows(pool, &records).await;
    if matches!(result, Err(StoreError::Conflict(_))) && batch.len() > 1 {
        for (r, done) in batch.drain(..) {
            let _ = done.send(insert_rows(pool, &[&r]).await);
        }
        return;
    }
    for (_, done) in batch.drain(..) {
        let _ = done.send(result.clone());
    }
}

async fn insert_rows(pool: &PgConns, rows: &[&RiskRecord]) -> StoreResult<()> {
    let mut c: [Vec<String>; 7] = Default::default();
    let (mut levels, mut scores, mut created, mut expires) = (vec![], vec![], vec![], vec![]);
    let (mut devices, mut ips) = (vec![], vec![]);
    for r in rows {
        let (types, reasons) = json_fields(r)?;
        for (col, v) in c.iter_mut().zip([
            &r.token,
            &r.tenant_id,
            &r.kind,
            &r.decision,
            &types,
            &reasons,
            &r.account_hash,
        ]) {
            col.push(v.clone());
        }
        levels.push(i32::from(r.level));
        scores.push(r.score);
        devices.push(r.device_hash.clone());
        created.push(to_ms(r.created_at));
        expires.push(to_ms(r.expires_at));
        ips.push(r.ip_hash.clone());
    }
    let [token, tenant, kind, decision, types, reasons, account] = c;
    sqlx::query(concat!(
        "INSERT INTO risk_results (",
        columns!(),
        ") SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::INTEGER[], $5::TEXT[], \
         $6::TEXT[], $7::TEXT[], $8::BIGINT[], $9::TEXT[], $10::TEXT[], $11::BIGINT[], \
         $12::BIGINT[], $13::TEXT[])"
    ))
    .bind(token)
    .bind(tenant)
    .bind(kind)
    .bind(levels)
    .bind(decision)
    .bind(types)
    .bind(reasons)
    .bind(scores)
    .bind(devices)
    .bind(account)
    .bind(created)
    .bind(expires)
    .bind(ips)
    .execute(pool)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// One snapshot for both reads of a device summary, so the latest result is
/// among those counted.
pub(super) async fn snapshot(store: &PostgresStore) -> StoreResult<Tx<Postgres>> {
    // One round trip: the isolation level goes with the BEGIN.
    let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    store
        .pool()
        .begin_with(Some(sqlx::SqlSafeStr::into_sql_str(begin)))
        .await
        .map_err(map_err)
}

/// Ends the snapshot of [`snapshot`].
pub(super) async fn end_snapshot(tx: Tx<Postgres>) -> StoreResult<()> {
    tx.commit().await.map_err(map_err)
}
