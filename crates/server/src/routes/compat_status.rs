//! Wire formats of the seed documents, byte-compatible with their examples:
//!
//! - `POST /api-mall/api/mobile_status/check` (seed 000), header
//!   `Authorization: APPCODE <api key>`, form `mobile=13800138000` →
//!   `{"msg":"成功","success":true,"code":200,"data":{"orderNo":"…","result":"1",
//!   "province":"北京","city":"北京","channel":"移动","resultMsg":"正常"}}`
//!   (members in this order). Business errors keep the envelope:
//!   `success: false`, `code` 400 (bad number) or 503 (no supplier), `data: null`.
//! - `POST /compat/two-factor` (seed 001) `{"name","phoneNumber"}` →
//!   `{"code":"FP00000"|"FP03333"|"KYC1101","message":"SUCCESS"|"认证信息不一致"|"信息不存在",
//!   "idData":{…},"mobData":{…}}`.
//!
//! Both accept the API key as `APPCODE <key>` or `Bearer <key>`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use chrono::Utc;
use phoneguard_core::suppliers::MatchResult;
use phoneguard_core::tenants::Principal;
use phoneguard_numbering::lookup;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::authenticate_key;
use crate::error::{ApiError, ProblemCode};
use crate::extract::ApiJson;
use crate::routes::identity::{cn_mobile, name_query};
use crate::routes::supply;
use crate::state::AppState;

/// The compat routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_mobile_status_check))
        .routes(routes!(post_two_factor))
}

/// A caller authenticated by `Authorization: APPCODE <key>` (or Bearer).
pub struct AppCodeCaller(pub Principal);

impl FromRequestParts<AppState> for AppCodeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "missing Authorization header; send Authorization: APPCODE <api key>",
                )
            })?;
        let token = ["APPCODE ", "appcode ", "Bearer ", "bearer "]
            .iter()
            .find_map(|p| value.strip_prefix(p))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Authorization must be APPCODE <api key> or Bearer <api key>",
                )
            })?;
        authenticate_key(state, token.trim())
            .await
            .map(AppCodeCaller)
    }
}

/// Form body of `POST /api-mall/api/mobile_status/check`.
#[derive(ToSchema)]
pub struct MobileStatusIn {
    /// The number, e.g. `13800138000`.
    #[schema(example = "13800138000")]
    mobile: String,
}

impl MobileStatusIn {
    /// Reads the form by hand: a missing or bad number is answered in the
    /// seed's envelope, not as a rejection.
    fn parse(body: &[u8]) -> Self {
        let mobile = form_urlencoded::parse(body)
            .find(|(k, _)| k == "mobile")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        MobileStatusIn { mobile }
    }
}

/// The seed-000 envelope of `POST /api-mall/api/mobile_status/check`, members
/// in the seed's order: HTTP 200 also for business errors (`success: false`,
/// `code` 400 or 503, `data: null`).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"msg": "成功", "success": true, "code": 200, "data": {"orderNo": "202611231000001234567",
    "result": "1", "province": "北京", "city": "北京", "channel": "移动", "resultMsg": "正常"}}))]
pub struct MobileStatusOut {
    /// `成功`, `手机号格式不正确`, `服务暂不可用`.
    msg: &'static str,
    /// Whether `data` holds an answer.
    success: bool,
    /// 200, 400 (bad number) or 503 (no supplier).
    code: u16,
    /// The answer.
    data: Option<MobileStatusData>,
}

/// The `data` of a seed-000 status answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MobileStatusData {
    /// Order number: time and 7 random digits.
    order_no: String,
    /// `0`–`4` or `999` (see `LineStatusCode`).
    result: &'static str,
    /// Province.
    province: String,
    /// City.
    city: String,
    /// `移动`, `联通`, `电信`, `广电` or empty.
    channel: &'static str,
    /// `正常`, `停机`, … .
    result_msg: &'static str,
}

fn order_no() -> String {
    let n: u32 = rand::rng().random_range(0..10_000_000);
    format!("{}{n:07}", Utc::now().format("%Y%m%d%H%M%S"))
}

fn fail(msg: &'static str, code: u16) -> Json<MobileStatusOut> {
    Json(MobileStatusOut {
        msg,
        success: false,
        code,
        data: None,
    })
}

/// Seed 000: line status in the seed's exact wire format.
#[utoipa::path(post, path = "/api-mall/api/mobile_status/check", tag = "compat",
    security(("appcode" = []), ("api_key" = [])),
    request_body(content = MobileStatusIn, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The seed's envelope; business errors keep HTTP 200 \
        (`success: false`, `code` 400 or 503).", body = MobileStatusOut)))]
async fn post_mobile_status_check(
    AppCodeCaller(caller): AppCodeCaller,
    State(s): State<AppState>,
    body: Bytes,
) -> Json<MobileStatusOut> {
    let MobileStatusIn { mobile } = MobileStatusIn::parse(&body);
    let Ok(info) = lookup(s.numbers, &mobile) else {
        return fail("手机号格式不正确", 400);
    };
    if info.country != "CN" {
        return fail("手机号格式不正确", 400);
    }
    if let Err(e) = crate::limits::admit(
        &s,
        &caller,
        phoneguard_core::limits::ApiCapability::Status,
        1,
    )
    .await
    {
        return fail(
            if e.code == ProblemCode::QuotaExceeded {
                "调用次数超出当日配额"
            } else {
                "调用频率超出限制"
            },
            429,
        );
    }
    let (answer, _supplier) = match supply::status(&s, &caller, &info).await {
        Ok(a) => a,
        Err(_) => return fail("服务暂不可用", 503),
    };
    let carrier = answer
        .carrier
        .as_deref()
        .and_then(phoneguard_numbering::Carrier::from_code)
        .or(info.carrier.and_then(|c| c.code));
    let (province, city) = info
        .location
        .as_ref()
        .map(|l| (l.province.to_string(), l.city.to_string()))
        .unwrap_or_default();
    Json(MobileStatusOut {
        msg: "成功",
        success: true,
        code: 200,
        data: Some(MobileStatusData {
            order_no: order_no(),
            result: answer.status.legacy_result(),
            province,
            city,
            channel: carrier.map_or("", |c| c.short_zh()),
            result_msg: answer.status.message_zh(),
        }),
    })
}

/// Body of `POST /compat/two-factor`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"name": "张三", "phoneNumber": "13800138000"}))]
pub struct TwoFactorIn {
    /// The holder's name.
    name: String,
    /// A Chinese mobile number.
    phone_number: String,
}

/// The seed-001 answer, members in the seed's order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"code": "FP00000", "message": "SUCCESS", "idData": {"nameCheck": "match"},
    "mobData": {"channel": "移动", "province": "北京", "city": "北京"}}))]
pub struct TwoFactorOut {
    /// `FP00000` match, `FP03333` mismatch, `KYC1101` not found.
    #[schema(pattern = "^(FP00000|FP03333|KYC1101)$")]
    code: &'static str,
    /// `SUCCESS`, `认证信息不一致`, `信息不存在`.
    message: &'static str,
    /// The name's result.
    id_data: IdDataOut,
    /// Where the number is registered.
    mob_data: MobDataOut,
}

/// The `idData` of a seed-001 answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdDataOut {
    /// The name against the carrier's record.
    #[schema(value_type = Option<phoneguard_core::suppliers::MatchResult>)]
    name_check: Option<&'static str>,
}

/// The `mobData` of a seed-001 answer.
#[derive(Serialize, ToSchema)]
pub struct MobDataOut {
    /// `移动`, `联通`, `电信` or `广电`.
    channel: Option<&'static str>,
    /// Province.
    province: Option<String>,
    /// City.
    city: Option<String>,
}

/// Seed 001: 运营商二要素 in the seed's wire format.
#[utoipa::path(post, path = "/compat/two-factor", tag = "compat",
    security(("appcode" = []), ("api_key" = [])),
    request_body = TwoFactorIn,
    responses(
        (status = 200, description = "The seed's answer.", body = TwoFactorOut),
        (status = 422, response = crate::openapi::problem::InvalidRequest),
        (status = 503, response = crate::openapi::problem::SupplierUnavailable),
    ))]
async fn post_two_factor(
    AppCodeCaller(caller): AppCodeCaller,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<TwoFactorIn>,
) -> Result<Json<TwoFactorOut>, ApiError> {
    let info = cn_mobile(&s, &body.phone_number)?;
    let q = name_query(&body.name)?;
    crate::limits::admit(
        &s,
        &caller,
        phoneguard_core::limits::ApiCapability::Identity,
        1,
    )
    .await?;
    let (answer, _) = supply::identity(&s, &caller, &info, q).await?;
    let (code, message) = match answer.result {
        MatchResult::Match => ("FP00000", "SUCCESS"),
        MatchResult::Mismatch => ("FP03333", "认证信息不一致"),
        MatchResult::NotFound => ("KYC1101", "信息不存在"),
    };
    let carrier = info.carrier.and_then(|c| c.code);
    let location = info.location.as_ref();
    Ok(Json(TwoFactorOut {
        code,
        message,
        id_data: IdDataOut {
            name_check: answer.checks.name.map(|m| m.code()),
        },
        mob_data: MobDataOut {
            channel: carrier.map(|c| c.short_zh()),
            province: location.map(|l| l.province.to_string()),
            city: location.map(|l| l.city.to_string()),
        },
    }))
}
