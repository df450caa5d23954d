//! Asking suppliers about a number on behalf of a caller: the shared side of
//! `numbers`, `identity` and the compat endpoints, and the mapping of router
//! and registry errors to problem+json.

use axum::http::StatusCode;
use phoneguard_core::suppliers::{
    Answer, Capability, IdentityAnswer, IdentityQuery, Query, StatusAnswer, Subject,
};
use phoneguard_core::tenants::Principal;
use phoneguard_numbering::NumberInfo;
use phoneguard_suppliers::router::Routed;
use phoneguard_suppliers::{RegistryError, RouterError};

use crate::error::{ApiError, ProblemCode};
use crate::routes::number_out::{Extra, PortabilityOut, StatusOut, TenureOut};
use crate::state::AppState;

/// What a lookup may return besides the local location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Local.
    Location,
    /// Line status (supplier).
    Status,
    /// Tenure (supplier).
    Tenure,
    /// Portability (supplier; the prefix gives the original carrier).
    Portability,
}

impl Field {
    /// Parses a `fields` item.
    pub fn parse(s: &str) -> Option<Field> {
        match s.trim() {
            "location" => Some(Field::Location),
            "status" => Some(Field::Status),
            "tenure" => Some(Field::Tenure),
            "portability" => Some(Field::Portability),
            _ => None,
        }
    }

    /// The member name in the answer.
    pub fn name(self) -> &'static str {
        match self {
            Field::Location => "location",
            Field::Status => "status",
            Field::Tenure => "tenure",
            Field::Portability => "portability",
        }
    }

    fn capability(self) -> Option<Capability> {
        match self {
            Field::Location => None,
            Field::Status => Some(Capability::Status),
            Field::Tenure => Some(Capability::Tenure),
            Field::Portability => Some(Capability::Portability),
        }
    }
}

/// The 503 `supplier_unavailable` of a router failure.
pub fn router_error(e: RouterError) -> ApiError {
    let (cap, detail) = match &e {
        RouterError::NoSupplier(c) => (
            *c,
            format!("no supplier with capability {c} is available for this number"),
        ),
        RouterError::AllFailed {
            capability,
            attempts,
            ..
        } => (
            *capability,
            format!("no supplier could answer {capability} ({attempts} tried); retry shortly"),
        ),
    };
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ProblemCode::SupplierUnavailable,
        detail,
    )
    .with(|x| x.capability = Some(cap.to_string()));
    err.retry_after = Some(1);
    err
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Invalid { field, message } => {
                ApiError::invalid_field(&field, format!("{field}: {message}"))
            }
            RegistryError::NoMasterKey => ApiError::invalid_field("credentials", e.to_string()),
            RegistryError::NotFound(_) => ApiError::not_found(e.to_string()),
            RegistryError::Exists(_) => ApiError::conflict(e.to_string()),
            RegistryError::Crypto(c) => ApiError::internal("supplier credentials", c),
            RegistryError::Store(s) => s.into(),
        }
    }
}

/// The subject of a query about `info` by `caller`.
pub fn subject(caller: &Principal, info: &NumberInfo) -> Subject {
    Subject {
        tenant_id: caller.tenant_id.clone(),
        e164: info.number.clone(),
        national: info.national.clone(),
        carrier: info
            .carrier
            .and_then(|c| c.code)
            .map(|c| c.code().to_string()),
    }
}

/// Asks the router one question.
pub async fn ask(
    s: &AppState,
    caller: &Principal,
    cap: Capability,
    info: &NumberInfo,
    identity: Option<IdentityQuery>,
) -> Result<Routed, RouterError> {
    let q = Query {
        capability: cap,
        subject: subject(caller, info),
        identity,
        carrier: None,
    };
    s.suppliers.router().query(&q, caller.mode).await
}

/// Line status with the supplier that answered.
pub async fn status(
    s: &AppState,
    caller: &Principal,
    info: &NumberInfo,
) -> Result<(StatusAnswer, String), ApiError> {
    match ask(s, caller, Capability::Status, info, None)
        .await
        .map_err(router_error)?
    {
        Routed {
            answer: Answer::Status(a),
            supplier_id,
            ..
        } => Ok((a, supplier_id)),
        _ => Err(ApiError::internal(
            "router",
            "status answered with another capability",
        )),
    }
}

/// Identity match with the supplier that answered.
pub async fn identity(
    s: &AppState,
    caller: &Principal,
    info: &NumberInfo,
    q: IdentityQuery,
) -> Result<(IdentityAnswer, String), ApiError> {
    match ask(s, caller, Capability::Identity, info, Some(q))
        .await
        .map_err(router_error)?
    {
        Routed {
            answer: Answer::Identity(a),
            supplier_id,
            ..
        } => Ok((a, supplier_id)),
        _ => Err(ApiError::internal(
            "router",
            "identity answered with another capability",
        )),
    }
}

/// The supplier-backed members of a number's answer, in request order.
pub async fn enrich(
    s: &AppState,
    caller: &Principal,
    info: &NumberInfo,
    fields: &[Field],
) -> Vec<(Field, Result<Extra, ApiError>)> {
    let segment = subject(caller, info).carrier;
    let asks = fields
        .iter()
        .filter_map(|f| f.capability().map(|c| (*f, c)));
    let futures = asks.map(|(f, c)| async move { (f, ask(s, caller, c, info, None).await) });
    let mut out = vec![];
    for (field, res) in futures::future::join_all(futures).await {
        let value = match (res, field) {
            (
                Ok(Routed {
                    answer: Answer::Status(a),
                    supplier_id,
                    answered_at,
                    cached,
                    ..
                }),
                _,
            ) => Ok(Extra::Status(StatusOut {
                code: a.status.code(),
                result: a.status.legacy_result(),
                carrier: a.carrier.clone().or(segment.clone()),
                ported: a
                    .ported
                    .unwrap_or_else(|| a.carrier.is_some() && a.carrier != segment),
                supplier: supplier_id,
                cached,
                checked_at: crate::time::ms_text(&answered_at),
            })),
            (
                Ok(Routed {
                    answer: Answer::Tenure(t),
                    supplier_id,
                    ..
                }),
                _,
            ) => {
                let (min, max) = t.bucket.bounds();
                Ok(Extra::Tenure(TenureOut {
                    bucket: t.bucket.code(),
                    min_months: min,
                    max_months: max,
                    supplier: supplier_id,
                }))
            }
            (
                Ok(Routed {
                    answer: Answer::Portability(p),
                    supplier_id,
                    ..
                }),
                _,
            ) => Ok(Extra::Portability(PortabilityOut {
                ported: Some(p.ported),
                original: p.original.or(segment.clone()),
                current: p.current,
                source: "supplier",
                supplier: Some(supplier_id),
                note: None,
            })),
            (Err(_), Field::Portability) => Ok(Extra::Portability(PortabilityOut {
                ported: None,
                original: segment.clone(),
                current: None,
                source: "prefix",
                supplier: None,
                note: Some(
                    "no supplier answered portability; the number's prefix gives only its original carrier",
                ),
            })),
            (Ok(_), _) => Err(ApiError::internal("router", "answer of another capability")),
            (Err(e), _) => Err(router_error(e)),
        };
        out.push((field, value));
    }
    out
}
