//! The answers of number lookups: what the local table knows, then the
//! `fields` asked of suppliers (built in [`crate::routes::supply::enrich`]).

use std::collections::BTreeMap;

use phoneguard_numbering::{
    Carrier, CarrierInfo, Location, Network, NumberInfo, NumberType, Segment,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::problem::ProblemCode;
use crate::routes::supply::Field;

/// Where a number is registered.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"province": "北京", "city": "北京", "area_code": "010", "zip": "100000"}))]
pub struct LocationOut {
    /// Province, e.g. `广东`.
    province: &'static str,
    /// City, e.g. `深圳`.
    city: &'static str,
    /// Area code with its trunk 0, e.g. `0755`.
    area_code: &'static str,
    /// Postal code.
    zip: &'static str,
}

impl From<Location> for LocationOut {
    fn from(l: Location) -> Self {
        LocationOut {
            province: l.province,
            city: l.city,
            area_code: l.area_code,
            zip: l.zip,
        }
    }
}

/// Carrier and network of a Chinese mobile-range number.
#[derive(Serialize, ToSchema)]
pub struct CarrierOut {
    /// `null` for a segment held by no public carrier.
    code: Option<Carrier>,
    /// Chinese name, e.g. `中国移动`.
    name: Option<&'static str>,
    /// The kind of network.
    network: Network,
    /// The leading digits that decided, e.g. `138` or `1703`.
    #[schema(value_type = String)]
    segment: Segment,
}

impl From<CarrierInfo> for CarrierOut {
    fn from(c: CarrierInfo) -> Self {
        CarrierOut {
            code: c.code,
            name: c.name,
            network: c.network,
            segment: c.segment,
        }
    }
}

/// Line status (在网状态), asked of a supplier.
#[derive(Serialize, ToSchema)]
pub struct StatusOut {
    /// The status.
    #[schema(value_type = phoneguard_core::suppliers::LineStatus)]
    pub code: &'static str,
    /// The status-check seed's numeric `result`: `0`–`4` or `999`.
    pub result: &'static str,
    /// The carrier now serving the number.
    pub carrier: Option<String>,
    /// Whether the number moved to another carrier.
    pub ported: bool,
    /// The supplier that answered.
    pub supplier: String,
    /// Whether the answer was reused from the status cache (`router.status_cache_ttl_s`;
    /// off by default); `checked_at` is then the time of the original call.
    pub cached: bool,
    /// When the supplier was asked (whole seconds).
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub checked_at: String,
}

/// Time in network (在网时长), asked of a supplier.
#[derive(Serialize, ToSchema)]
pub struct TenureOut {
    /// `0-3`, `3-6`, `6-12`, `12-24` or `24+` months.
    #[schema(pattern = r"^(0-3|3-6|6-12|12-24|24\+)$")]
    pub bucket: &'static str,
    /// Lower bound in months.
    pub min_months: u32,
    /// Upper bound in months; `null` for `24+`.
    pub max_months: Option<u32>,
    /// The supplier that answered.
    pub supplier: String,
}

/// Portability (携号转网): from a supplier, else the prefix's original carrier.
#[derive(Serialize, ToSchema)]
pub struct PortabilityOut {
    /// Whether the number moved; `null` when no supplier answered.
    pub ported: Option<bool>,
    /// The carrier that issued the number.
    pub original: Option<String>,
    /// The carrier serving it now.
    pub current: Option<String>,
    /// `supplier` or `prefix`.
    pub source: &'static str,
    /// The supplier that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// Why only the prefix answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// A supplier-backed member of a number's answer.
pub enum Extra {
    /// `status`.
    Status(StatusOut),
    /// `tenure`.
    Tenure(TenureOut),
    /// `portability`.
    Portability(PortabilityOut),
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
    country: &'static str,
    /// Always `true` here.
    valid: bool,
    /// Registration place (Chinese numbers).
    location: Option<LocationOut>,
    /// Carrier (Chinese mobile-range numbers).
    carrier: Option<CarrierOut>,
    /// Mobile, fixed line, … .
    #[serde(rename = "type")]
    number_type: NumberType,
    /// With `fields=status` (`null` in a batch when no supplier answered).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<StatusOut>)]
    status: Option<Option<StatusOut>>,
    /// With `fields=tenure` (`null` in a batch when no supplier answered).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<TenureOut>)]
    tenure: Option<Option<TenureOut>>,
    /// With `fields=portability`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<PortabilityOut>)]
    portability: Option<Option<PortabilityOut>>,
    /// Batch only: the error code of each field no supplier answered (that field is `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, ProblemCode>>)]
    errors: Option<BTreeMap<&'static str, &'static str>>,
}

impl From<&NumberInfo> for NumberOut {
    fn from(i: &NumberInfo) -> Self {
        NumberOut {
            number: i.number.clone(),
            national: i.national.clone(),
            country: i.country,
            valid: i.valid,
            location: i.location.map(LocationOut::from),
            carrier: i.carrier.map(CarrierOut::from),
            number_type: i.number_type,
            status: None,
            tenure: None,
            portability: None,
            errors: None,
        }
    }
}

impl NumberOut {
    /// Sets a supplier-backed member.
    pub fn set(&mut self, extra: Extra) {
        match extra {
            Extra::Status(v) => self.status = Some(Some(v)),
            Extra::Tenure(v) => self.tenure = Some(Some(v)),
            Extra::Portability(v) => self.portability = Some(Some(v)),
        }
    }

    /// Sets the member of `field` to `null`, with its error code in `errors`.
    pub fn set_failed(&mut self, field: Field, code: &'static str) {
        match field {
            Field::Location => return,
            Field::Status => self.status = Some(None),
            Field::Tenure => self.tenure = Some(None),
            Field::Portability => self.portability = Some(None),
        }
        self.errors
            .get_or_insert_default()
            .insert(field.name(), code);
    }
}

/// A batch item that is not a number.
#[derive(Serialize, ToSchema)]
pub struct BatchItemError {
    /// The item as sent (its first 40 characters).
    pub number: Value,
    /// Always `false`.
    pub valid: bool,
    /// Why it is not a number: `invalid_type`, or the parse error a single
    /// lookup gives as the problem's `reason` (`empty`, `too_short`, …).
    pub reason: &'static str,
    /// The same code as `reason` (the name batch items had first).
    pub error: &'static str,
    /// What is wrong, for a person.
    pub detail: String,
}

impl BatchItemError {
    /// The item `number` (as sent), refused for `reason`.
    pub fn new(number: Value, reason: &'static str, detail: String) -> Self {
        BatchItemError {
            number,
            valid: false,
            reason,
            error: reason,
            detail,
        }
    }
}

/// One item of a batch answer.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchItem {
    /// A number.
    Number(Box<NumberOut>),
    /// Not a number.
    Invalid(BatchItemError),
}

/// Answer of `POST /v1/numbers/batch`, in request order.
#[derive(Serialize, ToSchema)]
pub struct BatchOut {
    /// One item per number sent.
    pub results: Vec<BatchItem>,
}
