//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations, served at `GET /openapi.json` with an offline Swagger UI at
//! `GET /docs` (its files are compiled in; the page loads nothing from
//! elsewhere).
//!
//! `docs/openapi.json` is this document as committed; a test fails when the
//! two differ (regenerate with `phoneguard openapi > docs/openapi.json`).

pub mod admin;
#[cfg(test)]
mod coverage;
pub mod numbers;
pub mod problem;
pub mod risk;
pub mod verify;

use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Components, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::routes;
use crate::state::AppState;

/// Security scheme of tenant endpoints: `Authorization: Bearer <api key>`.
pub const API_KEY: &str = "api_key";
/// Security scheme of admin endpoints: `Authorization: Bearer <admin token>`.
pub const ADMIN_TOKEN: &str = "admin_token";
/// Security scheme of the seed-000/001 endpoints: `Authorization: APPCODE <api key>`.
pub const APPCODE: &str = "appcode";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "phoneguard",
        description = "Self-hosted phone-number verification and account-risk gateway.\n\n\
            Tenant endpoints take `Authorization: Bearer <api key>` (`pk_test_…` reaches sandbox \
            suppliers only, `pk_live_…` every other supplier, never a sandbox one); admin \
            endpoints take the admin token the same way; the compat endpoints also accept \
            `Authorization: APPCODE <api key>`. Errors are RFC 9457 `application/problem+json` \
            with a stable `code`. Every response carries `x-request-id` (a given one is kept).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        routes::ops::get_healthz, routes::ops::get_readyz, routes::ops::get_metrics,
        routes::numbers::get_number, routes::numbers::post_numbers_batch,
        routes::identity::post_identity_match,
        routes::verifications::create_verification, routes::verifications::check_by_phone,
        routes::verifications::get_verification, routes::verifications::check_verification,
        routes::verifications::report_flash_call, routes::verifications::resend_verification,
        routes::verifications::cancel_verification, routes::verifications::put_tenant_countries,
        routes::verifications::get_tenant_templates, routes::verifications::put_tenant_templates,
        routes::risk::post_risk_register, routes::risk::post_risk_login,
        routes::risk::get_risk_result, routes::risk::get_risk_device,
        routes::sandbox::put_sandbox_subscriber,
        routes::sandbox_outbox::list_sandbox_messages, routes::sandbox_outbox::list_sandbox_calls,
        routes::receipts::post_receipt, routes::receipts::get_receipt_secret,
        routes::compat_status::post_mobile_status_check, routes::compat_status::post_two_factor,
        routes::compat_geyan::post_check_register, routes::compat_geyan::post_check_login,
        routes::admin::create_tenant, routes::admin::list_tenants, routes::admin::get_tenant,
        routes::admin::create_key, routes::admin::list_keys, routes::admin::revoke_key,
        routes::suppliers_admin::list_suppliers, routes::suppliers_admin::create_supplier,
        routes::suppliers_admin::get_supplier, routes::suppliers_admin::update_supplier,
        routes::suppliers_admin::delete_supplier, routes::suppliers_admin::get_stats,
        routes::risk_admin::get_rules, routes::risk_admin::put_rules,
        routes::risk_admin::post_rules_reload,
        routes::limits_admin::get_tenant_limits, routes::limits_admin::put_tenant_limits,
        routes::limits_admin::get_key_limits, routes::limits_admin::put_key_limits,
        routes::usage::get_admin_usage, routes::usage::get_own_usage,
        routes::audit_admin::list_audit,
    ),
    components(
        schemas(problem::Problem, problem::ProblemCode),
        responses(
            problem::Error, problem::InvalidRequest, problem::InvalidNumber, problem::Unauthorized,
            problem::Forbidden, problem::NotFound, problem::Conflict, problem::RateLimited,
            problem::SupplierUnavailable, problem::StorageUnavailable,
        ),
    ),
    modifiers(&SecuritySchemes, &CommonResponses),
    tags(
        (name = "numbers", description = "Number intelligence: location (local), status, tenure, portability (suppliers)."),
        (name = "identity", description = "运营商二要素 / 三要素: name (+ ID number) against the number's holder."),
        (name = "verifications", description = "One-time codes by SMS or voice, flash calls, supplier failover."),
        (name = "risk", description = "注册保护 / 登录保护 / 设备风险."),
        (name = "sandbox", description = "What sandbox suppliers delivered and will answer (test keys)."),
        (name = "compat", description = "Wire formats of the seed documents, byte-compatible with their examples."),
        (name = "receipts", description = "Delivery receipts from messaging suppliers."),
        (name = "admin", description = "Tenants, keys, suppliers, rules, stats (admin token)."),
        (name = "ops", description = "Liveness, readiness, metrics."),
    ),
)]
struct ApiDoc;

/// The document.
pub fn openapi() -> Document {
    ApiDoc::openapi()
}

/// The document as committed in `docs/openapi.json` (pretty JSON, final newline).
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().expect("the document serializes");
    text.push('\n');
    text
}

/// `GET /openapi.json` and the Swagger UI at `GET /docs`.
pub fn router() -> Router<AppState> {
    let config = Config::new(["/openapi.json"])
        .validator_url("none")
        .persist_authorization(true)
        .display_request_duration(true);
    SwaggerUi::new("/docs")
        .url("/openapi.json", openapi())
        .config(config)
        .into()
}

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Components::new);
        let bearer = |what: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(format!("`Authorization: Bearer <{what}>`")))
                    .build(),
            )
        };
        components.add_security_scheme(API_KEY, bearer("api key"));
        components.add_security_scheme(ADMIN_TOKEN, bearer("admin token"));
        components.add_security_scheme(
            APPCODE,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Authorization: APPCODE <api key>` (the seed's header; `Bearer <api key>` works too)",
            ))),
        );
    }
}

/// Adds to every operation a `default` problem response, 401/403 where a
/// credential is required and 422 where there is input, unless it has its own.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, doc: &mut Document) {
        let reference = |name: &str| RefOr::Ref(Ref::new(format!("#/components/responses/{name}")));
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_input = op.request_body.is_some()
                    || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let responses = &mut op.responses.responses;
                let mut add = |status: &str, name: &str| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| reference(name));
                };
                if secured {
                    add("401", "Unauthorized");
                    add("403", "Forbidden");
                }
                if has_input {
                    add("422", "InvalidRequest");
                }
                add("default", "Error");
            }
        }
    }
}
