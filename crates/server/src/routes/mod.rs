//! One module per API area, each exposing `router()`: its handlers registered
//! with `routes!`, so the route and its OpenAPI operation are one entry.
//! [`router`] merges them; [`crate::app`] serves it and [`crate::openapi`]
//! documents it.

pub mod access_keys_admin;
pub mod admin;
pub mod aliyun_front;
pub mod audit_admin;
pub mod carrier_auth;
pub mod compat_geyan;
pub mod compat_status;
pub mod devices;
pub mod identity;
pub mod limits_admin;
pub mod number_out;
pub mod numbers;
pub mod ops;
pub mod receipts;
pub mod risk;
pub mod risk_admin;
pub mod sandbox;
pub mod sandbox_outbox;
pub mod suppliers_admin;
pub mod supply;
pub mod twilio;
pub mod usage;
pub mod verifications;
pub mod verify_admin;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every documented route, in the order of the document's paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(ops::router())
        .merge(numbers::router())
        .merge(identity::router())
        .merge(verifications::router())
        .merge(carrier_auth::router())
        .merge(verify_admin::router())
        .merge(risk::router())
        .merge(devices::router())
        .merge(sandbox::router())
        .merge(sandbox_outbox::router())
        .merge(receipts::router())
        .merge(compat_status::router())
        .merge(compat_geyan::router())
        .merge(admin::router())
        .merge(access_keys_admin::router())
        .merge(suppliers_admin::router())
        .merge(risk_admin::router())
        .merge(limits_admin::router())
        .merge(usage::router())
        .merge(audit_admin::router())
        .merge(twilio::router())
}
