//! [`phoneguard_core::twilio::TwilioStore`] on both backends (see
//! [`crate::sql`] for how an area shares its SQL).

use phoneguard_core::twilio::VerifyServiceRecord;

use crate::sql::from_ms;

/// The columns of `twilio_verify_services`, in the order of [`ServiceRow`].
macro_rules! service_columns {
    () => {
        "sid, tenant_id, friendly_name, code_length, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
pub(crate) struct ServiceRow {
    sid: String,
    tenant_id: String,
    friendly_name: String,
    code_length: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<ServiceRow> for VerifyServiceRecord {
    fn from(r: ServiceRow) -> Self {
        VerifyServiceRecord {
            sid: r.sid,
            tenant_id: r.tenant_id,
            friendly_name: r.friendly_name,
            code_length: u32::try_from(r.code_length).unwrap_or(6),
            created_at: from_ms(r.created_at),
            updated_at: from_ms(r.updated_at),
        }
    }
}

/// Implements [`phoneguard_core::twilio::TwilioStore`] for `$store` on backend `$d`.
macro_rules! impl_twilio_store {
    ($store:ty, $d:ident) => {
        #[async_trait::async_trait]
        impl phoneguard_core::twilio::TwilioStore for $store {
            async fn insert_verify_service(
                &self,
                s: &VerifyServiceRecord,
            ) -> phoneguard_core::store::StoreResult<()> {
                sqlx::query(concat!(
                    "INSERT INTO twilio_verify_services (",
                    service_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6)"
                ))
                .bind(&s.sid)
                .bind(&s.tenant_id)
                .bind(&s.friendly_name)
                .bind(i64::from(s.code_length))
                .bind(crate::sql::to_ms(s.created_at))
                .bind(crate::sql::to_ms(s.updated_at))
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(())
            }

            async fn get_verify_service(
                &self,
                tenant_id: &str,
                sid: &str,
            ) -> phoneguard_core::store::StoreResult<Option<VerifyServiceRecord>> {
                let row: Option<ServiceRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    service_columns!(),
                    " FROM twilio_verify_services WHERE sid = $1 AND tenant_id = $2"
                ))
                .bind(sid)
                .bind(tenant_id)
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(row.map(Into::into))
            }

            async fn list_verify_services(
                &self,
                tenant_id: &str,
                limit: u32,
            ) -> phoneguard_core::store::StoreResult<Vec<VerifyServiceRecord>> {
                let rows: Vec<ServiceRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    service_columns!(),
                    " FROM twilio_verify_services WHERE tenant_id = $1 \
                     ORDER BY created_at, sid",
                    bytewise!($d),
                    " LIMIT $2"
                ))
                .bind(tenant_id)
                .bind(i64::from(limit))
                .fetch_all(self.readers())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn update_verify_service(
                &self,
                s: &VerifyServiceRecord,
            ) -> phoneguard_core::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE twilio_verify_services SET friendly_name = $1, code_length = $2, \
                     updated_at = $3 WHERE sid = $4 AND tenant_id = $5",
                )
                .bind(&s.friendly_name)
                .bind(i64::from(s.code_length))
                .bind(crate::sql::to_ms(s.updated_at))
                .bind(&s.sid)
                .bind(&s.tenant_id)
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_verify_service(
                &self,
                tenant_id: &str,
                sid: &str,
            ) -> phoneguard_core::store::StoreResult<bool> {
                let done = sqlx::query(
                    "DELETE FROM twilio_verify_services WHERE sid = $1 AND tenant_id = $2",
                )
                .bind(sid)
                .bind(tenant_id)
                .execute(self.pool())
                .await
                .map_err(crate::$d::map_err)?;
                Ok(done.rows_affected() > 0)
            }

            async fn latest_verification_id(
                &self,
                tenant_id: &str,
                phone: &str,
                purpose: &str,
            ) -> phoneguard_core::store::StoreResult<Option<String>> {
                sqlx::query_scalar(concat!(
                    "SELECT id FROM verifications WHERE tenant_id = $1 AND phone = $2 \
                     AND purpose = $3 ORDER BY created_at DESC, id",
                    bytewise!($d),
                    " DESC LIMIT 1"
                ))
                .bind(tenant_id)
                .bind(phone)
                .bind(purpose)
                .fetch_optional(self.readers())
                .await
                .map_err(crate::$d::map_err)
            }
        }
    };
}

impl_twilio_store!(crate::sqlite::SqliteStore, sqlite);
impl_twilio_store!(crate::postgres::PostgresStore, postgres);
