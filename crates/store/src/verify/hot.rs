//! [`phoneguard_core::verify::VerifyHotState`] as database rows: failover
//! mappings and flash-call caller reservations (a deployment with Redis
//! replaces them). Each row carries its end, so an expired one is ignored by
//! every read.

/// Implements `VerifyHotState` for `$store` on backend `$d` (inside
/// `impl_verify_store!`, whose imports it uses).
macro_rules! impl_verify_hot_state {
    ($store:ty, $d:ident) => {
        #[async_trait::async_trait]
        impl VerifyHotState for $store {
            async fn add_failover(
                &self,
                tenant_id: &str,
                key: &str,
                supplier_id: &str,
                expires_at: DateTime<Utc>,
                _now: DateTime<Utc>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO verify_failover (tenant_id, terminal_key, supplier_id, expires_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, terminal_key, supplier_id) \
                     DO UPDATE SET expires_at = excluded.expires_at",
                )
                .bind(tenant_id)
                .bind(key)
                .bind(supplier_id)
                .bind(to_ms(expires_at))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn failover_suppliers(
                &self,
                tenant_id: &str,
                key: &str,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<String>> {
                if let Some(ids) = self.sync_read(|c| {
                    c.prepare_cached(concat!(failover_of!(), bytewise!(sqlite)))?
                        .query_map((tenant_id, key, to_ms(now)), |r| r.get(0))?
                        .collect()
                }) {
                    return ids;
                }
                sqlx::query_scalar(concat!(failover_of!(), bytewise!($d)))
                    .bind(tenant_id)
                    .bind(key)
                    .bind(to_ms(now))
                    .fetch_all(self.readers())
                    .await
                    .map_err(crate::$d::map_err)
            }

            async fn clear_failover(&self, tenant_id: &str, key: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM verify_failover WHERE tenant_id = $1 AND terminal_key = $2")
                    .bind(tenant_id)
                    .bind(key)
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn reserve_caller(
                &self,
                pool: &str,
                phone_key: &str,
                caller: &str,
                verification_id: &str,
                until: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let r = sqlx::query(
                    "INSERT INTO flash_callers (pool, phone_key, caller, verification_id, until) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pool, phone_key, caller) DO UPDATE SET \
                     verification_id = excluded.verification_id, until = excluded.until \
                     WHERE flash_callers.until <= $6",
                )
                .bind(pool)
                .bind(phone_key)
                .bind(caller)
                .bind(verification_id)
                .bind(to_ms(until))
                .bind(to_ms(now))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(r.rows_affected() == 1)
            }

            async fn release_callers(&self, verification_id: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM flash_callers WHERE verification_id = $1")
                    .bind(verification_id)
                    .execute(self.pool())
                    .await
                    .map_err(crate::$d::map_err)?;
                Ok(())
            }
        }

    };
}

pub(super) use impl_verify_hot_state;
