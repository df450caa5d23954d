//! The OpenAPI 3.1 document, assembled from the route registration (each
//! area's `router()` registers its `#[utoipa::path]` handlers with `routes!`),
//! served at `GET /openapi.json` with an offline Swagger UI at
//! `GET /docs` (its files are compiled in; the page loads nothing from
//! elsewhere).
//!
//! `docs/openapi.json` is this document as committed; a test fails when the
//! two differ (regenerate with `phoneguard openapi > docs/openapi.json`).

pub mod problem;

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
/// Security scheme of `/metrics`: `Authorization: Bearer <metrics.token>`.
pub const METRICS_TOKEN: &str = "metrics_token";
/// Security scheme of the seed-000/001 endpoints: `Authorization: APPCODE <api key>`.
pub const APPCODE: &str = "appcode";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "phoneguard",
        description = "Self-hosted phone-number verification and account-risk gateway.\n\n\
            Tenant endpoints take `Authorization: Bearer <api key>` (`pk_test_…` reaches sandbox \
            suppliers only, `pk_live_…` every other supplier, never a sandbox one); admin \
            endpoints take the admin token the same way (an address with too many failed attempts \
            is answered 429 `rate_limited` until `Retry-After`); the compat endpoints also accept \
            `Authorization: APPCODE <api key>`. Errors are RFC 9457 `application/problem+json` \
            with a stable `code`. Every response carries `x-request-id` (a given one is kept).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(
        schemas(crate::problem::Problem, crate::problem::ProblemCode),
        responses(
            problem::Error, problem::InvalidRequest, problem::InvalidNumber, problem::Unauthorized,
            problem::Forbidden, problem::NotFound, problem::Conflict, problem::RateLimited,
            problem::SupplierUnavailable, problem::StorageUnavailable,
        ),
    ),
    tags(
        (name = "numbers", description = "Number intelligence: location (local), status, tenure, portability (suppliers)."),
        (name = "identity", description = "运营商二要素 / 三要素: name (+ ID number) against the number's holder."),
        (name = "verifications", description = "One-time codes by SMS or voice, flash calls, supplier failover."),
        (name = "risk", description = "注册保护 / 登录保护 / 设备风险."),
        (name = "devices", description = "Device identity: publishable keys, device ids, signed device tokens, the browser SDK."),
        (name = "sandbox", description = "What sandbox suppliers delivered and will answer (test keys)."),
        (name = "compat", description = "Wire formats of the seed documents, byte-compatible with their examples."),
        (name = "receipts", description = "Delivery receipts from messaging suppliers."),
        (name = "admin", description = "Tenants, keys, suppliers, rules, stats (admin token)."),
        (name = "ops", description = "Liveness, readiness, metrics."),
        (name = "twilio", description = "Twilio Verify v2 and Lookup v2 on the wire, for the official SDKs: \
            HTTP Basic (account sid or key sid + API key), form fields, Twilio's error JSON."),
    ),
)]
struct ApiDoc;

/// The document of the operations `routes` registered: info, tags, security
/// schemes and the common problem responses added.
pub fn document(routes: Document) -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(routes);
    SecuritySchemes.modify(&mut doc);
    CommonResponses.modify(&mut doc);
    doc
}

/// The document of every route of [`routes::router`].
pub fn openapi() -> Document {
    document(routes::router().into_openapi())
}

/// The document as committed in `docs/openapi.json` (pretty JSON, final newline).
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().expect("the document serializes");
    text.push('\n');
    text
}

/// `GET /openapi.json` (serving `doc`) and the Swagger UI at `GET /docs`.
pub fn router(doc: Document) -> Router<AppState> {
    let config = Config::new(["/openapi.json"])
        .validator_url("none")
        .persist_authorization(true)
        .display_request_duration(true);
    SwaggerUi::new("/docs")
        .url("/openapi.json", doc)
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
        components.add_security_scheme(METRICS_TOKEN, bearer("metrics.token"));
        components.add_security_scheme(
            crate::routes::twilio::TWILIO_BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "HTTP Basic as the Twilio SDKs send it: the tenant's account sid (`AC…`) or \
                         the key's sid (`SK…`) as user, an API key as password (`/v2` only)"
                            .to_string(),
                    ))
                    .build(),
            ),
        );
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
/// credential is required, 429 where it is the admin token (failed attempts are
/// throttled) and 422 where there is input, unless it has its own.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, doc: &mut Document) {
        let reference = |name: &str| RefOr::Ref(Ref::new(format!("#/components/responses/{name}")));
        for (path, item) in &mut doc.paths.paths {
            // `/v2` answers Twilio's error JSON, never problem+json.
            if path.starts_with("/v2/") {
                crate::routes::twilio::document_errors(item);
                continue;
            }
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let admin = op.security.as_ref().is_some_and(|s| {
                    serde_json::to_value(s)
                        .is_ok_and(|v| v.to_string().contains(&format!("\"{ADMIN_TOKEN}\"")))
                });
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
                if admin {
                    add("429", "RateLimited");
                }
                if has_input {
                    add("422", "InvalidRequest");
                }
                add("default", "Error");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_openapi_document_matches_the_code() {
        let generated = super::openapi_json();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &generated).expect("docs/openapi.json is writable");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json differs from the document the code generates; regenerate it with \
             `UPDATE_OPENAPI=1 cargo test -p phoneguard-server --lib openapi` \
             (or `phoneguard openapi > docs/openapi.json`) and commit it"
        );
    }
}
