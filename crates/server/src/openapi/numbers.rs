//! Schemas of number lookups, identity matches and the seed-000/001 compat
//! answers: the shapes the handlers build as JSON, written down for the
//! OpenAPI document (the schemathesis run in CI checks answers against them).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::problem::ProblemCode;

/// A carrier code.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CarrierCode {
    /// 中国移动 China Mobile.
    Cmcc,
    /// 中国联通 China Unicom.
    Cucc,
    /// 中国电信 China Telecom.
    Ctcc,
    /// 中国广电 China Broadnet.
    Cbn,
}

/// The kind of network of a Chinese mobile-range number.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NetworkCode {
    /// An operator's own subscribers.
    Mno,
    /// A virtual operator (转售).
    Mvno,
    /// Machine-to-machine (物联网), 13 digits.
    Iot,
    /// Satellite telephony.
    Satellite,
    /// Data-only plans (上网卡).
    DataOnly,
    /// The MIIT's emergency segments.
    Emergency,
    /// Not known.
    Unknown,
}

/// The type of a number.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberTypeCode {
    /// Mobile.
    Mobile,
    /// Fixed line.
    FixedLine,
    /// Fixed line or mobile (the number cannot tell).
    FixedLineOrMobile,
    /// Freephone.
    TollFree,
    /// Premium rate.
    PremiumRate,
    /// Shared cost (400 numbers).
    SharedCost,
    /// Personal number.
    PersonalNumber,
    /// Voice over IP.
    Voip,
    /// Pager.
    Pager,
    /// Universal access number.
    Uan,
    /// Voicemail access.
    Voicemail,
    /// Machine-to-machine (IoT).
    Iot,
    /// Satellite phone.
    Satellite,
    /// Valid, of no known type.
    Unknown,
}

/// Where a number is registered.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"province": "北京", "city": "北京", "area_code": "010", "zip": "100000"}))]
pub struct LocationOut {
    /// Province, e.g. `广东`.
    province: String,
    /// City, e.g. `深圳`.
    city: String,
    /// Area code with its trunk 0, e.g. `0755`.
    area_code: String,
    /// Postal code.
    zip: String,
}

/// Carrier and network of a Chinese mobile-range number.
#[derive(Serialize, ToSchema)]
pub struct CarrierOut {
    /// `null` for a segment held by no public carrier.
    code: Option<CarrierCode>,
    /// Chinese name, e.g. `中国移动`.
    name: Option<String>,
    /// The kind of network.
    network: NetworkCode,
    /// The leading digits that decided, e.g. `138` or `1703`.
    segment: String,
}

/// A line status code.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineStatusCode {
    /// 销号或未启用 (legacy result `0`).
    Cancelled,
    /// 正常 (`1`).
    Normal,
    /// 停机 (`2`).
    Suspended,
    /// 在网但不可用 (`3`).
    Unavailable,
    /// 预销户 (`4`).
    PreCancelled,
    /// 非本网手机号码 (`999`).
    NotThisNetwork,
}

/// Line status (在网状态), asked of a supplier.
#[derive(Serialize, ToSchema)]
pub struct StatusOut {
    /// The status.
    code: LineStatusCode,
    /// The status-check seed's numeric `result`: `0`–`4` or `999`.
    result: String,
    /// The carrier now serving the number.
    carrier: Option<String>,
    /// Whether the number moved to another carrier.
    ported: bool,
    /// The supplier that answered.
    supplier: String,
    /// Whether the answer was reused from the status cache (`router.status_cache_ttl_s`;
    /// off by default); `checked_at` is then the time of the original call.
    cached: bool,
    /// When the supplier was asked.
    checked_at: chrono::DateTime<chrono::Utc>,
}

/// Time in network (在网时长), asked of a supplier.
#[derive(Serialize, ToSchema)]
pub struct TenureOut {
    /// `0-3`, `3-6`, `6-12`, `12-24` or `24+` months.
    #[schema(pattern = r"^(0-3|3-6|6-12|12-24|24\+)$")]
    bucket: String,
    /// Lower bound in months.
    min_months: u32,
    /// Upper bound in months; `null` for `24+`.
    max_months: Option<u32>,
    /// The supplier that answered.
    supplier: String,
}

/// Portability (携号转网): from a supplier, else the prefix's original carrier.
#[derive(Serialize, ToSchema)]
pub struct PortabilityOut {
    /// Whether the number moved; `null` when no supplier answered.
    ported: Option<bool>,
    /// The carrier that issued the number.
    original: Option<String>,
    /// The carrier serving it now.
    current: Option<String>,
    /// `supplier` or `prefix`.
    source: String,
    /// The supplier that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<String>,
    /// Why only the prefix answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Everything known about a number: local data, then the asked `fields`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "number": "+8613800138000", "national": "13800138000", "country": "CN", "valid": true,
    "location": {"province": "北京", "city": "北京", "area_code": "010", "zip": "100000"},
    "carrier": {"code": "cmcc", "name": "中国移动", "network": "mno", "segment": "138"},
    "type": "mobile"
}))]
pub struct NumberOut {
    /// E.164.
    number: String,
    /// National significant number.
    national: String,
    /// ISO 3166 region.
    country: String,
    /// Always `true` here.
    valid: bool,
    /// Registration place (Chinese numbers).
    location: Option<LocationOut>,
    /// Carrier (Chinese mobile-range numbers).
    carrier: Option<CarrierOut>,
    /// Mobile, fixed line, … .
    #[serde(rename = "type")]
    number_type: NumberTypeCode,
    /// With `fields=status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<StatusOut>,
    /// With `fields=tenure`.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenure: Option<TenureOut>,
    /// With `fields=portability`.
    #[serde(skip_serializing_if = "Option::is_none")]
    portability: Option<PortabilityOut>,
    /// Batch only: the error code of each field no supplier answered (that field is `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<BTreeMap<String, ProblemCode>>,
}

/// A batch item that is not a number.
#[derive(Serialize, ToSchema)]
pub struct BatchItemError {
    /// The item as sent (its first 40 characters).
    number: Value,
    /// Always `false`.
    valid: bool,
    /// `invalid_type` or the number's parse error: `empty`, `too_short`, … .
    error: String,
    /// What is wrong, for a person.
    detail: String,
}

/// One item of a batch answer.
// A schema description only, never built at run time: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchItem {
    /// A number.
    Number(NumberOut),
    /// Not a number.
    Invalid(BatchItemError),
}

/// Answer of `POST /v1/numbers/batch`, in request order.
#[derive(Serialize, ToSchema)]
pub struct BatchOut {
    /// One item per number sent.
    results: Vec<BatchItem>,
}

/// `match`, `mismatch` or `not_found`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchCode {
    /// The carrier's record agrees.
    Match,
    /// The carrier's record differs.
    Mismatch,
    /// The carrier has no record.
    NotFound,
}

/// The per-field results of an identity match.
#[derive(Serialize, ToSchema)]
pub struct ChecksOut {
    /// The name's result.
    name: Option<MatchCode>,
    /// The ID number's result; absent for a name-only (二要素) match.
    id_number: Option<MatchCode>,
}

/// Answer of `POST /v1/identity/match`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"result": "match", "checks": {"name": "match", "id_number": "match"},
    "carrier": "cmcc", "supplier": "sandbox", "request_id": "0193…"}))]
pub struct IdentityMatchOut {
    /// The overall result.
    result: MatchCode,
    /// Field by field.
    checks: ChecksOut,
    /// The number's carrier.
    carrier: Option<CarrierCode>,
    /// The supplier that answered.
    supplier: String,
    /// The `x-request-id` of the call.
    request_id: String,
}

/// The `data` of a seed-000 status answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MobileStatusData {
    /// Order number: time and 7 random digits.
    order_no: String,
    /// `0`–`4` or `999` (see [`LineStatusCode`]).
    result: String,
    /// Province.
    province: String,
    /// City.
    city: String,
    /// `移动`, `联通`, `电信`, `广电` or empty.
    channel: String,
    /// `正常`, `停机`, … .
    result_msg: String,
}

/// The seed-000 envelope of `POST /api-mall/api/mobile_status/check`: HTTP 200
/// also for business errors (`success: false`, `code` 400 or 503, `data: null`).
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"msg": "成功", "success": true, "code": 200, "data": {"orderNo": "202611231000001234567",
    "result": "1", "province": "北京", "city": "北京", "channel": "移动", "resultMsg": "正常"}}))]
pub struct MobileStatusOut {
    /// `成功`, `手机号格式不正确`, `服务暂不可用`.
    msg: String,
    /// Whether `data` holds an answer.
    success: bool,
    /// 200, 400 (bad number) or 503 (no supplier).
    code: u16,
    /// The answer.
    data: Option<MobileStatusData>,
}

/// Form body of `POST /api-mall/api/mobile_status/check`.
#[derive(Serialize, ToSchema)]
pub struct MobileStatusIn {
    /// The number, e.g. `13800138000`.
    #[schema(example = "13800138000")]
    mobile: String,
}
