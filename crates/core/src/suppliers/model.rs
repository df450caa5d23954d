//! The suppliers' records: capabilities and the answers suppliers give (with
//! the legacy codes of the line-status seed, `result` 0/1/2/3/4/999 and its
//! Chinese `resultMsg`), the query a supplier is asked, a supplier as stored,
//! sandbox subscribers and call records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::carrier::{CarrierAnswer, CarrierQuery};
use super::identity::IdentityQuery;

/// What a supplier can be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CapabilityCode))]
pub enum Capability {
    /// Line status (在网状态).
    Status,
    /// Time in network (在网时长).
    Tenure,
    /// Number portability (携号转网).
    Portability,
    /// Name + number (+ ID number) match (二要素 / 三要素).
    Identity,
    /// SMS delivery (a later module).
    Sms,
    /// Voice delivery (a later module).
    Voice,
    /// Carrier one-tap authentication (本机号码校验 / 一键登录).
    CarrierAuth,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 7] = [
        Capability::Status,
        Capability::Tenure,
        Capability::Portability,
        Capability::Identity,
        Capability::Sms,
        Capability::Voice,
        Capability::CarrierAuth,
    ];

    /// The stable code, e.g. `status`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Capability::Status => "status",
            Capability::Tenure => "tenure",
            Capability::Portability => "portability",
            Capability::Identity => "identity",
            Capability::Sms => "sms",
            Capability::Voice => "voice",
            Capability::CarrierAuth => "carrier_auth",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Line status of a number, with the legacy numeric `result` of the status-check seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LineStatusCode))]
pub enum LineStatus {
    /// `0` 销号或未启用.
    Cancelled,
    /// `1` 正常.
    Normal,
    /// `2` 停机.
    Suspended,
    /// `3` 在网但不可用.
    Unavailable,
    /// `4` 预销户.
    PreCancelled,
    /// `999` 非本网手机号码.
    NotThisNetwork,
}

impl LineStatus {
    /// Every status.
    pub const ALL: [LineStatus; 6] = [
        LineStatus::Cancelled,
        LineStatus::Normal,
        LineStatus::Suspended,
        LineStatus::Unavailable,
        LineStatus::PreCancelled,
        LineStatus::NotThisNetwork,
    ];

    /// API code, e.g. `normal`.
    pub const fn code(self) -> &'static str {
        match self {
            LineStatus::Cancelled => "cancelled",
            LineStatus::Normal => "normal",
            LineStatus::Suspended => "suspended",
            LineStatus::Unavailable => "unavailable",
            LineStatus::PreCancelled => "pre_cancelled",
            LineStatus::NotThisNetwork => "not_this_network",
        }
    }

    /// Legacy numeric `result` as a string, e.g. `"1"`.
    pub const fn legacy_result(self) -> &'static str {
        match self {
            LineStatus::Cancelled => "0",
            LineStatus::Normal => "1",
            LineStatus::Suspended => "2",
            LineStatus::Unavailable => "3",
            LineStatus::PreCancelled => "4",
            LineStatus::NotThisNetwork => "999",
        }
    }

    /// The seed's Chinese `resultMsg`, e.g. `正常`.
    pub const fn message_zh(self) -> &'static str {
        match self {
            LineStatus::Cancelled => "销号或未启用",
            LineStatus::Normal => "正常",
            LineStatus::Suspended => "停机",
            LineStatus::Unavailable => "在网但不可用",
            LineStatus::PreCancelled => "预销户",
            LineStatus::NotThisNetwork => "非本网手机号码",
        }
    }

    /// From the API code.
    pub fn from_code(s: &str) -> Option<LineStatus> {
        LineStatus::ALL.into_iter().find(|c| c.code() == s)
    }

    /// From the legacy `result` (`"0"`…`"999"`).
    pub fn from_legacy(s: &str) -> Option<LineStatus> {
        LineStatus::ALL
            .into_iter()
            .find(|c| c.legacy_result() == s.trim())
    }
}

/// Line status as answered by a supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusAnswer {
    /// The status.
    pub status: LineStatus,
    /// Carrier currently serving the number, when the supplier says (`cmcc`…).
    pub carrier: Option<String>,
    /// Whether the number was ported, when the supplier says.
    pub ported: Option<bool>,
}

/// Tenure buckets (在网时长) in months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TenureBucket {
    /// Under 3 months.
    #[serde(rename = "0-3")]
    M0To3,
    /// 3 to 6 months.
    #[serde(rename = "3-6")]
    M3To6,
    /// 6 to 12 months.
    #[serde(rename = "6-12")]
    M6To12,
    /// 12 to 24 months.
    #[serde(rename = "12-24")]
    M12To24,
    /// 24 months or more.
    #[serde(rename = "24+")]
    M24Plus,
}

impl TenureBucket {
    /// Every bucket, shortest first.
    pub const ALL: [TenureBucket; 5] = [
        TenureBucket::M0To3,
        TenureBucket::M3To6,
        TenureBucket::M6To12,
        TenureBucket::M12To24,
        TenureBucket::M24Plus,
    ];

    /// API code, e.g. `24+`.
    pub const fn code(self) -> &'static str {
        match self {
            TenureBucket::M0To3 => "0-3",
            TenureBucket::M3To6 => "3-6",
            TenureBucket::M6To12 => "6-12",
            TenureBucket::M12To24 => "12-24",
            TenureBucket::M24Plus => "24+",
        }
    }

    /// From the API code.
    pub fn from_code(s: &str) -> Option<TenureBucket> {
        TenureBucket::ALL.into_iter().find(|b| b.code() == s.trim())
    }

    /// `(min_months, max_months)`; `None` is open-ended.
    pub const fn bounds(self) -> (u32, Option<u32>) {
        match self {
            TenureBucket::M0To3 => (0, Some(3)),
            TenureBucket::M3To6 => (3, Some(6)),
            TenureBucket::M6To12 => (6, Some(12)),
            TenureBucket::M12To24 => (12, Some(24)),
            TenureBucket::M24Plus => (24, None),
        }
    }

    /// The bucket holding `months`.
    pub const fn from_months(months: u32) -> TenureBucket {
        match months {
            0..3 => TenureBucket::M0To3,
            3..6 => TenureBucket::M3To6,
            6..12 => TenureBucket::M6To12,
            12..24 => TenureBucket::M12To24,
            _ => TenureBucket::M24Plus,
        }
    }
}

/// Tenure as answered by a supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenureAnswer {
    /// The bucket.
    pub bucket: TenureBucket,
}

/// Portability as answered by a supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortabilityAnswer {
    /// Whether the number now belongs to another carrier than its segment's.
    pub ported: bool,
    /// Carrier of the segment (`cmcc`…), when known.
    pub original: Option<String>,
    /// Carrier serving it now, when known.
    pub current: Option<String>,
}

/// Overall or per-field result of an identity match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MatchCode))]
pub enum MatchResult {
    /// Everything given matches the carrier's record.
    Match,
    /// The number is known, and something given does not match.
    Mismatch,
    /// The carrier has no record for the number.
    NotFound,
}

impl MatchResult {
    /// API code.
    pub const fn code(self) -> &'static str {
        match self {
            MatchResult::Match => "match",
            MatchResult::Mismatch => "mismatch",
            MatchResult::NotFound => "not_found",
        }
    }

    /// From the API code.
    pub fn from_code(s: &str) -> Option<MatchResult> {
        [
            MatchResult::Match,
            MatchResult::Mismatch,
            MatchResult::NotFound,
        ]
        .into_iter()
        .find(|m| m.code() == s.trim())
    }
}

/// Per-field result; `None` where the supplier did not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldCheck {
    /// Name vs the record.
    pub name: Option<MatchResult>,
    /// ID number vs the record (三要素 only).
    pub id_number: Option<MatchResult>,
}

/// Identity match as answered by a supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityAnswer {
    /// Overall result.
    pub result: MatchResult,
    /// Per-field results where known.
    pub checks: FieldCheck,
}

/// The number a query is about, and who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The tenant paying for the call (sandbox answers are per tenant).
    pub tenant_id: String,
    /// E.164, e.g. `+8613800138000`.
    pub e164: String,
    /// National number, e.g. `13800138000`.
    pub national: String,
    /// Carrier of the number's segment (`cmcc`…), when known.
    pub carrier: Option<String>,
}

/// One question to one supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// What is asked.
    pub capability: Capability,
    /// About which number.
    pub subject: Subject,
    /// Name and ID number, for [`Capability::Identity`].
    pub identity: Option<IdentityQuery>,
    /// The token, for [`Capability::CarrierAuth`].
    pub carrier: Option<CarrierQuery>,
}

/// A supplier's answer, by capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Line status.
    Status(StatusAnswer),
    /// Tenure.
    Tenure(TenureAnswer),
    /// Portability.
    Portability(PortabilityAnswer),
    /// Identity match.
    Identity(IdentityAnswer),
    /// Carrier one-tap authentication.
    Carrier(CarrierAnswer),
}

impl Answer {
    /// The capability this answers.
    pub fn capability(&self) -> Capability {
        match self {
            Answer::Status(_) => Capability::Status,
            Answer::Tenure(_) => Capability::Tenure,
            Answer::Portability(_) => Capability::Portability,
            Answer::Identity(_) => Capability::Identity,
            Answer::Carrier(_) => Capability::CarrierAuth,
        }
    }
}

/// A supplier as stored: credentials only as an encrypted blob.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplierRecord {
    /// Slug.
    pub id: String,
    /// Adapter kind.
    pub kind: String,
    /// What it answers.
    pub capabilities: Vec<Capability>,
    /// Carrier codes covered; empty: every number.
    pub carriers: Vec<String>,
    /// Relative share of traffic.
    pub weight: u32,
    /// Price per call in milli-yuan.
    pub price_milli: u32,
    /// Whether the router may call it.
    pub enabled: bool,
    /// Kind-specific options.
    pub options: Value,
    /// AES-256-GCM blob of the credentials (see [`super::crypto`]).
    pub credentials: Option<Vec<u8>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What sandbox suppliers answer for one number of one tenant. Names and ID
/// numbers are kept only as keyed hashes (HMAC of their MD5 and SHA-256 forms).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SandboxSubscriber {
    /// Owner.
    pub tenant_id: String,
    /// Keyed hash of the E.164 number.
    pub number_hash: String,
    /// Line status; `None`: normal.
    pub status: Option<LineStatus>,
    /// Keyed hash of the name's MD5 form.
    pub name_md5_mac: Option<String>,
    /// Keyed hash of the name's SHA-256 form.
    pub name_sha256_mac: Option<String>,
    /// Keyed hash of the ID number's MD5 form.
    pub id_md5_mac: Option<String>,
    /// Keyed hash of the ID number's SHA-256 form.
    pub id_sha256_mac: Option<String>,
    /// Months in network; `None`: 24+.
    pub tenure_months: Option<u32>,
    /// Carrier it was ported to, if any.
    pub ported_to: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for SandboxSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxSubscriber")
            .field("tenant_id", &self.tenant_id)
            .field("status", &self.status)
            .field("tenure_months", &self.tenure_months)
            .field("ported_to", &self.ported_to)
            .finish_non_exhaustive()
    }
}

/// `ok` or the failure label of [`SupplierError::outcome`].
pub type CallOutcome = &'static str;

/// One supplier call: no number, name or ID number, ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// When the call started.
    pub at: DateTime<Utc>,
    /// Who paid.
    pub tenant_id: String,
    /// Which supplier.
    pub supplier_id: String,
    /// What was asked.
    pub capability: Capability,
    /// `ok`, `timeout`, `transport`, `http_status`, `business`, `bad_response`,
    /// `unsupported` or `cancelled` (a hedged call that lost the race).
    pub outcome: String,
    /// Wall time of the call in microseconds.
    pub latency_us: i64,
    /// Price in milli-yuan (charged on success only).
    pub price_milli: i64,
}

/// Per-supplier figures over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallStats {
    /// Supplier.
    pub supplier_id: String,
    /// Calls made.
    pub calls: i64,
    /// Calls answered.
    pub successes: i64,
    /// Calls failed.
    pub failures: i64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile latency in milliseconds.
    pub p95_ms: f64,
    /// Money spent, milli-yuan.
    pub cost_milli: i64,
}

/// Calls of one tenant for one capability over a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantCapabilityCount {
    /// Tenant.
    pub tenant_id: String,
    /// Capability code.
    pub capability: String,
    /// Calls made (each supplier attempt counts).
    pub calls: i64,
}
