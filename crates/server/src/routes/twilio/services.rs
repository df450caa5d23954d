//! Twilio Verify v2 services: `/v2/Services` and `/v2/Services/{ServiceSid}`,
//! stored per tenant; another tenant's sid is 20404.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use phoneguard_core::twilio::{ServiceInput, VerifyServiceRecord, account_sid};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Params, TwilioCaller, TwilioError, TwilioErrorOut, query, twilio_date};
use crate::state::AppState;

/// `/v2/Services` and `/v2/Services/{ServiceSid}`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_service, list_services))
        .routes(routes!(fetch_service, update_service, delete_service))
}

/// Form of `POST /v2/Services` and `POST /v2/Services/{ServiceSid}`.
#[derive(ToSchema)]
#[schema(as = TwilioServiceForm)]
#[allow(
    dead_code,
    non_snake_case,
    reason = "documents the form; parsed by Params"
)]
pub struct ServiceForm {
    /// The app name in the message text, 1–30 characters (required on create).
    FriendlyName: Option<String>,
    /// Digits of the codes, 4–10 (default 6).
    CodeLength: Option<u32>,
}

/// A Verify service as Twilio shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = TwilioService)]
pub struct ServiceOut {
    /// `VA…`.
    sid: String,
    /// `AC…` of the tenant.
    account_sid: String,
    /// The app name in the message text.
    friendly_name: String,
    /// Digits of the codes.
    code_length: u32,
    /// Always `false`.
    lookup_enabled: bool,
    /// Always `false`.
    psd2_enabled: bool,
    /// Always `false`.
    skip_sms_to_landlines: bool,
    /// Always `false`.
    dtmf_input_required: bool,
    /// Always `false`.
    do_not_share_warning_enabled: bool,
    /// Always `false`.
    custom_code_enabled: bool,
    /// `2026-01-02T03:04:05Z`.
    date_created: String,
    /// `2026-01-02T03:04:05Z`.
    date_updated: String,
    /// Its path.
    url: String,
    /// Paths of its verifications and checks.
    #[schema(value_type = Object)]
    links: Value,
}

impl From<VerifyServiceRecord> for ServiceOut {
    fn from(s: VerifyServiceRecord) -> Self {
        let url = format!("/v2/Services/{}", s.sid);
        ServiceOut {
            account_sid: account_sid(&s.tenant_id),
            friendly_name: s.friendly_name,
            code_length: s.code_length,
            lookup_enabled: false,
            psd2_enabled: false,
            skip_sms_to_landlines: false,
            dtmf_input_required: false,
            do_not_share_warning_enabled: false,
            custom_code_enabled: false,
            date_created: twilio_date(&s.created_at),
            date_updated: twilio_date(&s.updated_at),
            links: json!({
                "verifications": format!("{url}/Verifications"),
                "verification_checks": format!("{url}/VerificationCheck"),
            }),
            url,
            sid: s.sid,
        }
    }
}

/// Creates a Verify service.
#[utoipa::path(post, path = "/v2/Services", tag = "twilio", security(("twilio_basic" = [])),
    request_body(content = ServiceForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, description = "Created.", body = ServiceOut),
        (status = 400, description = "60200: a parameter is missing or invalid.", body = TwilioErrorOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
    ))]
async fn create_service(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    p: Params,
) -> Result<impl IntoResponse, TwilioError> {
    let input = service_input(&p)?;
    let svc = s.twilio.create(&who.tenant_id, input).await?;
    Ok((StatusCode::CREATED, Json(ServiceOut::from(svc))))
}

fn service_input(p: &Params) -> Result<ServiceInput, TwilioError> {
    Ok(ServiceInput {
        friendly_name: p.get("FriendlyName").map(str::to_owned),
        code_length: p.number("CodeLength")?,
    })
}

/// Largest `PageSize` (Twilio's).
const MAX_PAGE_SIZE: u32 = 1000;
/// `PageSize` when none is given (Twilio's).
const DEFAULT_PAGE_SIZE: u32 = 50;

/// One page of services.
#[derive(Serialize, ToSchema)]
#[schema(as = TwilioServicePage)]
pub struct ServicePage {
    /// The services of this page, oldest first.
    services: Vec<ServiceOut>,
    /// Twilio's paging block: `page`, `page_size`, `first_page_url`,
    /// `previous_page_url`, `url`, `next_page_url` (absolute, `null` on the
    /// last page), `key` (`services`).
    #[schema(value_type = Object)]
    meta: Value,
}

/// The tenant's Verify services, a page at a time (`PageSize` 1–1000,
/// default 50; `Page` from 0): the SDKs' `list()` and `stream()` follow
/// `meta.next_page_url`.
#[utoipa::path(get, path = "/v2/Services", tag = "twilio", security(("twilio_basic" = [])),
    params(
        ("PageSize" = Option<u32>, Query, description = "Services a page, 1–1000 (default 50)."),
        ("Page" = Option<u32>, Query, description = "Page number, from 0."),
    ),
    responses(
        (status = 200, description = "A page of the tenant's services.", body = ServicePage),
        (status = 400, description = "60200: `PageSize` or `Page` is invalid.", body = TwilioErrorOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
    ))]
async fn list_services(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<ServicePage>, TwilioError> {
    let q = query(&uri);
    let page_size = q.number("PageSize")?.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(TwilioError::invalid(
            "PageSize",
            format!("must be 1 to {MAX_PAGE_SIZE}"),
        ));
    }
    let page = q.number("Page")?.unwrap_or(0);
    let all = s.twilio.list(&who.tenant_id).await?;
    let skip = (page as usize).saturating_mul(page_size as usize);
    let more = all.len() > skip.saturating_add(page_size as usize);
    let services: Vec<ServiceOut> = all
        .into_iter()
        .skip(skip)
        .take(page_size as usize)
        .map(ServiceOut::from)
        .collect();
    let base = origin(&headers);
    let at = |n: u32| format!("{base}/v2/Services?PageSize={page_size}&Page={n}");
    Ok(Json(ServicePage {
        services,
        meta: json!({"page": page, "page_size": page_size, "first_page_url": at(0),
            "previous_page_url": page.checked_sub(1).map(at), "url": at(page),
            "next_page_url": more.then(|| at(page + 1)), "key": "services"}),
    }))
}

/// `http(s)://host` the caller used (the SDKs request `next_page_url` as
/// given, so it must be absolute): `X-Forwarded-Proto`, else `http`; `Host`.
fn origin(headers: &HeaderMap) -> String {
    let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
    let proto = match header("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    format!("{proto}://{}", header("host").unwrap_or("localhost"))
}

/// A Verify service of the tenant.
#[utoipa::path(get, path = "/v2/Services/{ServiceSid}", tag = "twilio", security(("twilio_basic" = [])),
    params(("ServiceSid" = String, Path, description = "`VA…`.")),
    responses(
        (status = 200, description = "The service.", body = ServiceOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
        (status = 404, description = "20404: no such service of this tenant.", body = TwilioErrorOut),
    ))]
async fn fetch_service(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    Path(sid): Path<String>,
) -> Result<Json<ServiceOut>, TwilioError> {
    Ok(Json(s.twilio.get(&who.tenant_id, &sid).await?.into()))
}

/// Changes a Verify service's name or code length.
#[utoipa::path(post, path = "/v2/Services/{ServiceSid}", tag = "twilio", security(("twilio_basic" = [])),
    params(("ServiceSid" = String, Path, description = "`VA…`.")),
    request_body(content = ServiceForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The service as changed.", body = ServiceOut),
        (status = 400, description = "60200: a parameter is invalid.", body = TwilioErrorOut),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
        (status = 404, description = "20404: no such service of this tenant.", body = TwilioErrorOut),
    ))]
async fn update_service(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    Path(sid): Path<String>,
    p: Params,
) -> Result<Json<ServiceOut>, TwilioError> {
    let input = service_input(&p)?;
    Ok(Json(
        s.twilio.update(&who.tenant_id, &sid, input).await?.into(),
    ))
}

/// Deletes a Verify service (its verifications stay).
#[utoipa::path(delete, path = "/v2/Services/{ServiceSid}", tag = "twilio", security(("twilio_basic" = [])),
    params(("ServiceSid" = String, Path, description = "`VA…`.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "20003: wrong credentials.", body = TwilioErrorOut),
        (status = 404, description = "20404: no such service of this tenant.", body = TwilioErrorOut),
    ))]
async fn delete_service(
    TwilioCaller(who): TwilioCaller,
    State(s): State<AppState>,
    Path(sid): Path<String>,
) -> Result<StatusCode, TwilioError> {
    s.twilio.delete(&who.tenant_id, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}
