//! Twilio Verify v2: `/v2/Services…`. Services are stored per tenant;
//! verifications and checks go through the `/v1` verification service (the
//! same record, limits, pumping guard and failover), with the service's sid
//! as the verification's purpose and its `FriendlyName` as the app name of
//! the message. Only the wire differs: `VE` sids, form fields, Twilio errors.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use phoneguard_core::tenants::Principal;
use phoneguard_core::twilio::service::{check_custom_name, verification_id};
use phoneguard_core::twilio::{VerifyServiceRecord, account_sid, is_sid, sid_of};
use phoneguard_core::verify::code::normalize_locale;
use phoneguard_core::verify::{Channel, StartRequest, Status, Verification, VerifyError};
use phoneguard_numbering::{NumberType, lookup, parse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Params, TwilioCaller, TwilioError, TwilioErrorOut, TwilioJson, twilio_date};
use crate::state::AppState;

/// `/v2/Services/{ServiceSid}/Verification…` (services: [`super::services`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_verification))
        .routes(routes!(fetch_verification, update_verification))
        .routes(routes!(create_verification_check))
}

/// Form of `POST /v2/Services/{ServiceSid}/Verifications`.
#[derive(ToSchema)]
#[schema(as = TwilioVerificationForm)]
#[allow(
    dead_code,
    non_snake_case,
    reason = "documents the form; parsed by Params"
)]
pub struct VerificationForm {
    /// The phone, E.164 (any usual form is accepted).
    To: String,
    /// `sms`, `call` (voice code), `flash_call` or `auto`.
    Channel: String,
    /// `zh-CN` or `en`; default by the number: `zh-CN` for +86, `en` elsewhere.
    Locale: Option<String>,
    /// The app name of this message, 1–30 characters, instead of the service's `FriendlyName`.
    CustomFriendlyName: Option<String>,
    /// Android SMS Retriever hash appended to the message.
    AppHash: Option<String>,
    /// The end user's IP address (per-IP send limit).
    DeviceIp: Option<String>,
}

/// Form of `POST /v2/Services/{ServiceSid}/Verifications/{Sid}`.
#[derive(ToSchema)]
#[schema(as = TwilioVerificationUpdateForm)]
#[allow(
    dead_code,
    non_snake_case,
    reason = "documents the form; parsed by Params"
)]
pub struct VerificationUpdateForm {
    /// `canceled` or `approved`.
    Status: String,
}

/// Form of `POST /v2/Services/{ServiceSid}/VerificationCheck`.
#[derive(ToSchema)]
#[schema(as = TwilioVerificationCheckForm)]
#[allow(
    dead_code,
    non_snake_case,
    reason = "documents the form; parsed by Params"
)]
pub struct VerificationCheckForm {
    /// The code the user entered.
    Code: String,
    /// The phone (or give `VerificationSid`).
    To: Option<String>,
    /// `VE…` (or give `To`).
    VerificationSid: Option<String>,
}

/// One code sent.
#[derive(Serialize, ToSchema)]
#[schema(as = TwilioSendCodeAttempt)]
pub struct SendCodeAttempt {
    /// When it was sent.
    time: String,
    /// `sms`, `call` or `flash_call`.
    channel: &'static str,
    /// `VL…`.
    attempt_sid: String,
}

/// A verification (or a check's answer) as Twilio shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = TwilioVerification)]
pub struct VerificationOut {
    /// `VE…`.
    sid: String,
    /// `VA…`.
    service_sid: String,
    /// `AC…`.
    account_sid: String,
    /// The phone, E.164.
    to: String,
    /// `sms`, `call`, `flash_call` (of the latest code).
    channel: &'static str,
    /// `pending`, `approved`, `canceled`, `max_attempts_reached`, `expired`, `failed`.
    status: &'static str,
    /// Whether the code was right.
    valid: bool,
    /// Carrier of the phone (local data): `{"carrier": {error_code,
    /// mobile_country_code, mobile_network_code, name, type}}`, or `null`.
    #[schema(value_type = Object)]
    lookup: Option<LookupOut>,
    /// Always `null`.
    #[schema(value_type = Option<String>)]
    amount: Option<String>,
    /// Always `null`.
    #[schema(value_type = Option<String>)]
    payee: Option<String>,
    /// Every code sent (not on a check).
    #[serde(skip_serializing_if = "Option::is_none")]
    send_code_attempts: Option<Vec<SendCodeAttempt>>,
    /// `2026-01-02T03:04:05Z`.
    date_created: String,
    /// `2026-01-02T03:04:05Z`.
    date_updated: String,
    /// Always `null`.
    #[schema(value_type = Option<Object>)]
    sna: Option<Value>,
    /// Its path.
    url: String,
}

/// The `lookup` of a verification (keys in the order `json!` wrote them).
#[derive(Serialize)]
pub struct LookupOut {
    carrier: CarrierOut,
}

/// Its `carrier`.
#[derive(Serialize)]
struct CarrierOut {
    error_code: Option<u32>,
    mobile_country_code: &'static str,
    mobile_network_code: &'static str,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Voice => "call",
        other => other.as_str(),
    }
}

fn verification_out(v: &Verification, status: Status, with_attempts: bool) -> VerificationOut {
    let hex = v.id.trim_start_matches("ver_");
    let sid = format!("VE{hex}");
    let url = format!("/v2/Services/{}/Verifications/{sid}", v.purpose);
    let attempts = with_attempts.then(|| {
        v.attempts
            .iter()
            .map(|a| SendCodeAttempt {
                time: twilio_date(&a.sent_at),
                channel: channel_name(a.channel),
                attempt_sid: format!("VL{}{:02x}", &hex[..30], a.seq.min(255)),
            })
            .collect()
    });
    let carrier = (!v.carrier.is_empty()).then(|| LookupOut {
        carrier: CarrierOut {
            error_code: None,
            mobile_country_code: "460",
            mobile_network_code: super::lookup::mnc(&v.carrier),
            name: v.carrier.clone(),
            kind: "mobile",
        },
    });
    VerificationOut {
        service_sid: v.purpose.clone(),
        account_sid: account_sid(&v.tenant_id),
        to: v.phone.clone(),
        channel: channel_name(v.current_channel()),
        status: status.as_str(),
        valid: status == Status::Approved,
        lookup: carrier,
        amount: None,
        payee: None,
        send_code_attempts: attempts,
        date_created: twilio_date(&v.created_at),
        date_updated: twilio_date(&v.updated_at),
        sna: None,
        url,
        sid,
    }
}

/// `Locale` as given (`zh…` or `en…`; anything else is 60200 naming it),
/// or by the number's country: Chinese for +86, English elsewhere.
fn locale_for(given: Option<&str>, country: &str) -> Result<&'static str, TwilioError> {
    match given {
        Some(l) => normalize_locale(Some(l))
            .ok_or_else(|| TwilioError::invalid("Locale", "expected zh-CN or en (zh…, en…)")),
        None if country == "CN" => Ok("zh-CN"),
        None => Ok("en"),
    }
}

fn parse_channel(raw: &str) -> Result<Channel, TwilioError> {
    match raw {
        "sms" => Ok(Channel::Sms),
        "call" => Ok(Channel::Voice),
        "flash_call" => Ok(Channel::FlashCall),
        "auto" => Ok(Channel::Auto),
        _ => Err(TwilioError::invalid(
            "Channel",
            "expected sms, call, flash_call or auto",
        )),
    }
}

/// Sends a code, or (a pending verification of this `To` on this service
/// exists) a new code for it: a resend of the same `VE` sid, through another
/// supplier where there is one.
#[utoipa::path(post, path = "/v2/Services/{ServiceSid}/Verifications", tag = "twilio",
    security(("twilio_basic" = [])),
    params(("ServiceSid" = String, Path, description = "`VA…`.")),
    request_body(content = VerificationForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Sent.", body = VerificationOut),
        (status = 400, description = "60200: invalid `To`, `Channel`, `Locale`…; 60205: SMS to a landline.", body = TwilioErrorOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
        (status = 403, description = "60605: sending to this country is not allowed.", body = TwilioErrorOut),
        (status = 404, description = "20404: no such service of this tenant.", body = TwilioErrorOut),
        (status = 429, description = "60203: max send attempts; 60410: pumping guard; 20429: other limits.", body = TwilioErrorOut),
        (status = 503, description = "20503: no supplier could deliver.", body = TwilioErrorOut),
    ))]
async fn create_verification(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    Path(service_sid): Path<String>,
    p: Params,
) -> Result<impl IntoResponse, TwilioError> {
    let svc = s.twilio.get(&who.tenant_id, &service_sid).await?;
    let to = p.required("To")?;
    let channel = parse_channel(p.required("Channel")?)?;
    let info = lookup(s.numbers, to).map_err(|e| TwilioError::invalid("To", e))?;
    if channel == Channel::Sms && info.number_type == NumberType::FixedLine {
        return Err(TwilioError::new(
            StatusCode::BAD_REQUEST,
            60205,
            "SMS is not supported by landline phone number",
        ));
    }
    let locale = locale_for(p.get("Locale"), info.country)?;
    let custom = p.get("CustomFriendlyName").map(str::trim);
    if let Some(name) = custom {
        check_custom_name(name)?;
    }
    crate::limits::admit(&s, &who, phoneguard_core::limits::ApiCapability::Verify, 1).await?;
    // A pending verification of this `To` on this service gets the new code
    // (the same `VE` sid): the start's one write decides, no read before it.
    let req = StartRequest {
        phone: info.number.clone(),
        channel: Some(channel),
        purpose: svc.sid.clone(),
        device_id: None,
        locale: Some(locale.to_string()),
        code_length: Some(svc.code_length),
        app_hash: p.get("AppHash").map(str::to_owned),
        ip: p.get("DeviceIp").map(str::to_owned),
        carrier: None,
        app_name: custom.map(str::to_owned),
        resend_pending: true,
    };
    let v = s.verify.start(&who, req).await?;
    Ok(TwilioJson(
        StatusCode::CREATED,
        verification_out(&v, v.status, true),
    ))
}

/// The verification a `Sid` (`VE…`, or the phone) names on a service.
async fn resolve(
    s: &AppState,
    who: &Principal,
    svc: &VerifyServiceRecord,
    sid: &str,
) -> Result<Verification, TwilioError> {
    let v = if is_sid(sid, "VE") {
        let id = verification_id(sid).ok_or_else(TwilioError::not_found)?;
        s.verify.get(who, &id).await?
    } else {
        let e164 = parse(sid).map_err(|_| TwilioError::not_found())?.e164();
        s.verify
            .store()
            .latest_pending(&who.tenant_id, &e164, &svc.sid)
            .await?
            .ok_or_else(TwilioError::not_found)?
    };
    if v.purpose != svc.sid {
        return Err(TwilioError::not_found());
    }
    Ok(v)
}

/// A pending verification; approved, canceled and expired ones are 20404, as Twilio's.
#[utoipa::path(get, path = "/v2/Services/{ServiceSid}/Verifications/{Sid}", tag = "twilio",
    security(("twilio_basic" = [])),
    params(("ServiceSid" = String, Path, description = "`VA…`."),
        ("Sid" = String, Path, description = "`VE…`, or the phone of a pending verification.")),
    responses(
        (status = 200, description = "The verification.", body = VerificationOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
        (status = 404, description = "20404: no such pending verification.", body = TwilioErrorOut),
    ))]
async fn fetch_verification(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    Path((service_sid, sid)): Path<(String, String)>,
) -> Result<TwilioJson<VerificationOut>, TwilioError> {
    let svc = s.twilio.get(&who.tenant_id, &service_sid).await?;
    let v = resolve(&s, &who, &svc, &sid).await?;
    let status = v.status_at(Utc::now());
    if status != Status::Pending {
        return Err(TwilioError::not_found());
    }
    Ok(TwilioJson(
        StatusCode::OK,
        verification_out(&v, status, true),
    ))
}

/// Cancels (`Status=canceled`) or approves (`Status=approved`) a pending verification.
#[utoipa::path(post, path = "/v2/Services/{ServiceSid}/Verifications/{Sid}", tag = "twilio",
    security(("twilio_basic" = [])),
    params(("ServiceSid" = String, Path, description = "`VA…`."),
        ("Sid" = String, Path, description = "`VE…`, or the phone of a pending verification.")),
    request_body(content = VerificationUpdateForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The verification as changed.", body = VerificationOut),
        (status = 400, description = "60200: `Status` is not canceled or approved.", body = TwilioErrorOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
        (status = 404, description = "20404: no such pending verification.", body = TwilioErrorOut),
    ))]
async fn update_verification(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    Path((service_sid, sid)): Path<(String, String)>,
    p: Params,
) -> Result<TwilioJson<VerificationOut>, TwilioError> {
    let to = match p.required("Status")? {
        "canceled" => Status::Canceled,
        "approved" => Status::Approved,
        _ => {
            return Err(TwilioError::invalid(
                "Status",
                "expected canceled or approved",
            ));
        }
    };
    let svc = s.twilio.get(&who.tenant_id, &service_sid).await?;
    let v = resolve(&s, &who, &svc, &sid).await?;
    let v = if to == Status::Canceled {
        s.verify.cancel(&who, &v.id).await?
    } else {
        s.verify.approve_without_code(&who, &v.id).await?
    };
    Ok(TwilioJson(
        StatusCode::OK,
        verification_out(&v, v.status, true),
    ))
}

/// Checks a code, by `To` or `VerificationSid`: a wrong code is 200
/// `pending`/`valid: false`; the check after the last wrong one allowed is 60202.
#[utoipa::path(post, path = "/v2/Services/{ServiceSid}/VerificationCheck", tag = "twilio",
    security(("twilio_basic" = [])),
    params(("ServiceSid" = String, Path, description = "`VA…`.")),
    request_body(content = VerificationCheckForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`approved`/`valid: true`, or `pending`/`valid: false`.", body = VerificationOut),
        (status = 400, description = "60200: `Code`, `To` or `VerificationSid` missing or invalid.", body = TwilioErrorOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
        (status = 404, description = "20404: no pending verification (approved, canceled, expired, unknown).", body = TwilioErrorOut),
        (status = 429, description = "60202: max check attempts reached.", body = TwilioErrorOut),
    ))]
async fn create_verification_check(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    Path(service_sid): Path<String>,
    p: Params,
) -> Result<TwilioJson<VerificationOut>, TwilioError> {
    let code = p.required("Code")?;
    let svc = s.twilio.get(&who.tenant_id, &service_sid).await?;
    let v = match (p.get("VerificationSid"), p.get("To")) {
        (Some(sid), _) => {
            if !is_sid(sid, "VE") {
                return Err(TwilioError::invalid(
                    "VerificationSid",
                    "expected VE + 32 hex",
                ));
            }
            resolve(&s, &who, &svc, sid).await?
        }
        (None, Some(to)) => {
            let e164 = parse(to).map_err(|e| TwilioError::invalid("To", e))?.e164();
            match s
                .verify
                .store()
                .latest_pending(&who.tenant_id, &e164, &svc.sid)
                .await?
            {
                Some(v) => v,
                // None pending: the newest one says why (20404, or 60202 after five wrong).
                None => {
                    let id = s
                        .twilio
                        .latest_verification(&who.tenant_id, &e164, &svc.sid)
                        .await?
                        .ok_or_else(TwilioError::not_found)?;
                    resolve(&s, &who, &svc, &sid_of("VE", &id).unwrap_or_default()).await?
                }
            }
        }
        (None, None) => {
            return Err(TwilioError::invalid(
                "To",
                "either To or VerificationSid must be given",
            ));
        }
    };
    let was_pending = v.status_at(Utc::now()) == Status::Pending;
    // The verification read above is checked as is: no second read.
    match s.verify.check_read(&who, &v, code).await {
        Ok(outcome) => Ok(TwilioJson(
            StatusCode::OK,
            verification_out(&v, outcome.status, false),
        )),
        // The wrong check that used the last attempt still answers; the next one is 60202.
        Err(VerifyError::MaxAttempts) if was_pending => Ok(TwilioJson(
            StatusCode::OK,
            verification_out(&v, Status::MaxAttemptsReached, false),
        )),
        Err(e) => Err(e.into()),
    }
}
