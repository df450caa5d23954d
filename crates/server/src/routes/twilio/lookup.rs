//! Twilio Lookup v2: `GET /v2/PhoneNumbers/{PhoneNumber}`. The number and
//! `line_type_intelligence` come from the local numbering data (no supplier
//! call; counted in usage as a lookup); `line_status` and `identity_match` ask
//! the status and 二要素/三要素 suppliers. A package that cannot be answered
//! carries its `error_code`; unrequested packages are `null`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Uri;
use phoneguard_core::limits::ApiCapability;
use phoneguard_core::suppliers::identity::{validate_id_number, validate_name};
use phoneguard_core::suppliers::{IdentityQuery, LineStatus, MatchResult, Personal};
use phoneguard_core::tenants::Principal;
use phoneguard_numbering::{Carrier, Network, NumberInfo, NumberType, ParseError, lookup, mask};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Params, TwilioCaller, TwilioError, TwilioErrorOut, query};
use crate::routes::supply;
use crate::state::AppState;

/// `/v2/PhoneNumbers/…`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(fetch_phone_number))
}

/// The packages Twilio names; those phoneguard answers are listed in [`ANSWERED`].
const PACKAGES: &[&str] = &[
    "validation",
    "caller_name",
    "sim_swap",
    "call_forwarding",
    "line_status",
    "line_type_intelligence",
    "identity_match",
    "reassigned_number",
    "sms_pumping_risk",
    "phone_number_quality_score",
    "pre_fill",
];

/// Lookup error code of a package phoneguard does not offer.
const NOT_OFFERED: u32 = 60607;
/// Lookup error code of a package no supplier could answer.
const UNAVAILABLE: u32 = 60600;

/// A Lookup v2 answer.
#[derive(Serialize, ToSchema)]
#[schema(as = TwilioPhoneNumber)]
pub struct PhoneNumberOut {
    /// `86`; `null` for an invalid number.
    calling_country_code: Option<String>,
    /// `CN`; `null` for an invalid number.
    country_code: Option<&'static str>,
    /// E.164 (as given, for an invalid number).
    phone_number: String,
    /// The national form, e.g. `138 0013 8000`.
    national_format: Option<String>,
    /// Whether the number is valid.
    valid: bool,
    /// `TOO_SHORT`, `TOO_LONG`, `INVALID_COUNTRY_CODE`, `NOT_A_NUMBER`, `INVALID_BUT_POSSIBLE`.
    validation_errors: Vec<&'static str>,
    /// Not offered: `null`, or `{"error_code": 60607}` when asked.
    #[schema(value_type = Option<Object>)]
    caller_name: Option<Value>,
    /// Not offered.
    #[schema(value_type = Option<Object>)]
    sim_swap: Option<Value>,
    /// Not offered.
    #[schema(value_type = Option<Object>)]
    call_forwarding: Option<Value>,
    /// `{status: active|inactive|unreachable|unknown, error_code}`.
    #[schema(value_type = Option<Object>)]
    line_status: Option<Value>,
    /// `{type, carrier_name, mobile_country_code, mobile_network_code, error_code}`.
    #[schema(value_type = Option<Object>)]
    line_type_intelligence: Option<Value>,
    /// `{first_name_match, last_name_match, national_id_match, summary_score, error_code, …}`.
    #[schema(value_type = Option<Object>)]
    identity_match: Option<Value>,
    /// Not offered.
    #[schema(value_type = Option<Object>)]
    reassigned_number: Option<Value>,
    /// Not offered.
    #[schema(value_type = Option<Object>)]
    sms_pumping_risk: Option<Value>,
    /// Not offered.
    #[schema(value_type = Option<Object>)]
    phone_number_quality_score: Option<Value>,
    /// Not offered.
    #[schema(value_type = Option<Object>)]
    pre_fill: Option<Value>,
    /// Its path.
    url: String,
}

/// Mobile network code of a carrier code (`cmcc` → `00`).
pub fn mnc(carrier: &str) -> &'static str {
    match carrier {
        "cmcc" => "00",
        "cucc" => "01",
        "ctcc" => "03",
        "cbn" => "15",
        _ => "",
    }
}

/// Twilio's name of a validation failure.
fn validation_error(e: &ParseError) -> &'static str {
    match e.code() {
        "too_short" => "TOO_SHORT",
        "too_long" => "TOO_LONG",
        "invalid_country_code" => "INVALID_COUNTRY_CODE",
        "not_a_number" | "empty" => "NOT_A_NUMBER",
        _ => "INVALID_BUT_POSSIBLE",
    }
}

/// `line_type_intelligence` from local data.
fn line_type(info: &NumberInfo) -> Value {
    let carrier = info.carrier;
    let network = carrier.map(|c| c.network);
    let kind = match (network, info.number_type) {
        (Some(Network::Iot), _) | (_, NumberType::Iot) => "iot",
        (Some(Network::DataOnly), _) => "dataOnly",
        (Some(Network::Satellite), _) | (_, NumberType::Satellite) => "satellite",
        (_, NumberType::Mobile | NumberType::FixedLineOrMobile) => "mobile",
        (_, NumberType::FixedLine) => "landline",
        (_, NumberType::Voip) => "nonFixedVoip",
        (_, NumberType::TollFree) => "tollFree",
        (_, NumberType::PremiumRate) => "premium",
        (_, NumberType::SharedCost) => "sharedCost",
        (_, NumberType::PersonalNumber) => "personal",
        (_, NumberType::Pager) => "pager",
        (_, NumberType::Uan) => "uan",
        (_, NumberType::Voicemail) => "voicemail",
        _ => "unknown",
    };
    let code = carrier.and_then(|c| c.code);
    let name = code.map(|c: Carrier| {
        let base = c.name_en();
        match network {
            Some(Network::Mvno) => format!("{base} (MVNO)"),
            Some(Network::Iot) => format!("{base} (IoT)"),
            Some(Network::DataOnly) => format!("{base} (data only)"),
            _ => base.to_string(),
        }
    });
    let cn = info.country == "CN" && code.is_some();
    json!({
        "type": kind,
        "carrier_name": name,
        "mobile_country_code": cn.then_some("460"),
        "mobile_network_code": code.filter(|_| cn).map(|c| mnc(c.code())),
        "error_code": null,
    })
}

/// `line_status` through the status suppliers.
async fn line_status(s: &AppState, who: &Principal, info: &NumberInfo) -> Value {
    match supply::status(s, who, info).await {
        Ok((a, _)) => {
            let status = match a.status {
                LineStatus::Normal => "active",
                LineStatus::Cancelled | LineStatus::PreCancelled | LineStatus::Suspended => {
                    "inactive"
                }
                LineStatus::Unavailable => "unreachable",
                LineStatus::NotThisNetwork => "unknown",
            };
            json!({"status": status, "error_code": null})
        }
        Err(e) => {
            tracing::info!(phone = %mask(&info.number), error = %e.detail, "lookup line_status unanswered");
            json!({"status": null, "error_code": UNAVAILABLE})
        }
    }
}

fn match_code(m: Option<MatchResult>) -> &'static str {
    match m {
        Some(MatchResult::Match) => "exact_match",
        Some(MatchResult::Mismatch) => "no_match",
        _ => "no_data_available",
    }
}

/// The name (family name first, as Chinese names are written) and ID number
/// of `identity_match`, validated before any supplier is paid.
fn identity_params(q: &Params) -> Result<(String, Option<String>), TwilioError> {
    let name = format!(
        "{}{}",
        q.get("LastName").unwrap_or("").trim(),
        q.get("FirstName").unwrap_or("").trim()
    );
    if name.is_empty() {
        return Err(TwilioError::invalid(
            "FirstName",
            "identity_match needs FirstName and/or LastName",
        ));
    }
    let name = validate_name(&name).map_err(|m| TwilioError::invalid("FirstName", m))?;
    let id_number = q
        .get("NationalId")
        .map(|v| validate_id_number(v).map_err(|m| TwilioError::invalid("NationalId", m)))
        .transpose()?;
    Ok((name, id_number))
}

/// `identity_match` through the 二要素 / 三要素 suppliers; the name and ID
/// number are hashed on the way (as `/v1/identity/match` does) and never logged.
async fn identity_match(
    s: &AppState,
    who: &Principal,
    info: &NumberInfo,
    (name, id_number): (String, Option<String>),
) -> Value {
    let unanswerable = |msg: &str| {
        json!({"error_code": UNAVAILABLE, "error_message": msg,
        "summary_score": null, "first_name_match": null, "last_name_match": null, "national_id_match": null})
    };
    if info.country != "CN" || info.carrier.and_then(|c| c.code).is_none() {
        return unanswerable(
            "identity_match covers Chinese mobile numbers of cmcc, cucc, ctcc and cbn only",
        );
    }
    let three = id_number.is_some();
    let query = IdentityQuery {
        name: Personal::clear(&name),
        id_number: id_number.as_deref().map(Personal::clear),
    };
    match supply::identity(s, who, info, query).await {
        Ok((a, _)) => {
            let name_match = match_code(a.checks.name.or(Some(a.result)));
            let id_match = three.then(|| match_code(a.checks.id_number.or(Some(a.result))));
            let score = match a.result {
                MatchResult::Match => 100,
                _ => 0,
            };
            json!({
                "first_name_match": name_match, "last_name_match": name_match,
                "national_id_match": id_match, "address_lines_match": null, "city_match": null,
                "state_match": null, "postal_code_match": null, "address_country_match": null,
                "date_of_birth_match": null, "summary_score": score,
                "error_code": null, "error_message": null,
            })
        }
        Err(e) => {
            tracing::info!(phone = %mask(&info.number), code = %e.code.as_str(), "lookup identity_match unanswered");
            unanswerable("no identity supplier could answer")
        }
    }
}

/// Looks a number up, with the packages asked in `Fields` (comma-separated or repeated).
#[utoipa::path(get, path = "/v2/PhoneNumbers/{PhoneNumber}", tag = "twilio", security(("twilio_basic" = [])),
    params(
        ("PhoneNumber" = String, Path, description = "E.164 (a raw `+` is a plus) or a national number.",
            example = "+8613800138000"),
        ("Fields" = Option<String>, Query, description = "`line_type_intelligence`, `line_status`, `identity_match` (others answer their `error_code`)."),
        ("FirstName" = Option<String>, Query, description = "identity_match: given name (never stored in clear)."),
        ("LastName" = Option<String>, Query, description = "identity_match: family name (never stored in clear)."),
        ("NationalId" = Option<String>, Query, description = "identity_match: ID number (三要素; never stored in clear)."),
    ),
    responses(
        (status = 200, description = "The number; an invalid one has `valid: false` and `validation_errors`.", body = PhoneNumberOut),
        (status = 400, description = "60200: an unknown package in `Fields`, or a bad identity parameter.", body = TwilioErrorOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
        (status = 429, description = "20429: rate limit or quota.", body = TwilioErrorOut),
    ))]
async fn fetch_phone_number(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    Path(number): Path<String>,
    uri: Uri,
) -> Result<Json<PhoneNumberOut>, TwilioError> {
    let q = query(&uri);
    let mut fields: Vec<&str> = vec![];
    for f in q.all("Fields").flat_map(|v| v.split(',')).map(str::trim) {
        if f.is_empty() || fields.contains(&f) {
            continue;
        }
        if !PACKAGES.contains(&f) {
            return Err(TwilioError::invalid(
                "Fields",
                format!(
                    "unknown package {:?}",
                    f.chars().take(40).collect::<String>()
                ),
            ));
        }
        fields.push(f);
    }
    let wants = |f: &str| fields.contains(&f);
    let url = format!(
        "/v2/PhoneNumbers/{}",
        number.chars().take(40).collect::<String>()
    );
    let mut out = PhoneNumberOut {
        calling_country_code: None,
        country_code: None,
        phone_number: number.chars().take(40).collect(),
        national_format: None,
        valid: false,
        validation_errors: vec![],
        caller_name: None,
        sim_swap: None,
        call_forwarding: None,
        line_status: None,
        line_type_intelligence: None,
        identity_match: None,
        reassigned_number: None,
        sms_pumping_risk: None,
        phone_number_quality_score: None,
        pre_fill: None,
        url,
    };
    let identity = wants("identity_match")
        .then(|| identity_params(&q))
        .transpose()?;
    // One metered call, as the dearest package asked.
    let capability = if identity.is_some() {
        ApiCapability::Identity
    } else if wants("line_status") {
        ApiCapability::Status
    } else {
        crate::limits::numbers_capability(&[supply::Field::Location])
    };
    crate::limits::admit(&s, &who, capability, 1).await?;
    let info = match lookup(s.numbers, &number) {
        Ok(info) => info,
        Err(e) => {
            out.validation_errors.push(validation_error(&e));
            return Ok(Json(out));
        }
    };
    let parsed = phoneguard_numbering::parse(&info.number).ok();
    out.calling_country_code = parsed.as_ref().map(|p| p.country_code().to_string());
    out.national_format = parsed.as_ref().map(|p| p.national().to_string());
    out.country_code = Some(info.country);
    out.phone_number.clone_from(&info.number);
    out.valid = true;
    let not_offered = || Some(json!({"error_code": NOT_OFFERED}));
    for f in &fields {
        match *f {
            "caller_name" => out.caller_name = not_offered(),
            "sim_swap" => out.sim_swap = not_offered(),
            "call_forwarding" => out.call_forwarding = not_offered(),
            "reassigned_number" => out.reassigned_number = not_offered(),
            "sms_pumping_risk" => out.sms_pumping_risk = not_offered(),
            "phone_number_quality_score" => out.phone_number_quality_score = not_offered(),
            "pre_fill" => out.pre_fill = not_offered(),
            _ => {}
        }
    }
    if wants("line_type_intelligence") {
        out.line_type_intelligence = Some(line_type(&info));
    }
    if wants("line_status") {
        out.line_status = Some(line_status(&s, &who, &info).await);
    }
    if let Some(params) = identity {
        out.identity_match = Some(identity_match(&s, &who, &info, params).await);
    }
    Ok(Json(out))
}
