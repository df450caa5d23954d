//! The codes of number lookups and identity matches: enums of the
//! `numbering` and `core` crates (which carry no schema), named in the answer
//! types' `#[schema(value_type = …)]`.

use serde::Serialize;
use utoipa::ToSchema;

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
