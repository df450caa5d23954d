//! Carriers, network kinds and number types, with their stable codes.

use std::fmt;

use serde::Serialize;

/// A mobile network operator of mainland China.
///
/// Serialises as its [`code`](Carrier::code): `"cmcc"`, `"cucc"`, `"ctcc"`, `"cbn"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CarrierCode))]
pub enum Carrier {
    /// China Mobile, 中国移动.
    Cmcc,
    /// China Unicom, 中国联通.
    Cucc,
    /// China Telecom, 中国电信.
    Ctcc,
    /// China Broadnet (China Broadcasting Network), 中国广电.
    Cbn,
}

impl Carrier {
    /// Every carrier, in code order.
    pub const ALL: [Carrier; 4] = [Carrier::Cmcc, Carrier::Cucc, Carrier::Ctcc, Carrier::Cbn];

    /// The stable machine code: `cmcc`, `cucc`, `ctcc`, `cbn`.
    pub const fn code(self) -> &'static str {
        match self {
            Carrier::Cmcc => "cmcc",
            Carrier::Cucc => "cucc",
            Carrier::Ctcc => "ctcc",
            Carrier::Cbn => "cbn",
        }
    }

    /// The full Chinese name, e.g. `中国移动`.
    pub const fn name_zh(self) -> &'static str {
        match self {
            Carrier::Cmcc => "中国移动",
            Carrier::Cucc => "中国联通",
            Carrier::Ctcc => "中国电信",
            Carrier::Cbn => "中国广电",
        }
    }

    /// The short Chinese name, e.g. `移动` (the `channel` of the status-check API).
    pub const fn short_zh(self) -> &'static str {
        match self {
            Carrier::Cmcc => "移动",
            Carrier::Cucc => "联通",
            Carrier::Ctcc => "电信",
            Carrier::Cbn => "广电",
        }
    }

    /// The English name, e.g. `China Mobile`.
    pub const fn name_en(self) -> &'static str {
        match self {
            Carrier::Cmcc => "China Mobile",
            Carrier::Cucc => "China Unicom",
            Carrier::Ctcc => "China Telecom",
            Carrier::Cbn => "China Broadnet",
        }
    }

    /// The carrier with this [`code`](Carrier::code), if any.
    pub fn from_code(code: &str) -> Option<Carrier> {
        Carrier::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for Carrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What kind of network a number belongs to.
///
/// Serialises as its [`as_str`](Network::as_str) code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = NetworkCode))]
pub enum Network {
    /// A mobile network operator's own subscribers.
    Mno,
    /// A virtual operator (转售) reselling a host network.
    Mvno,
    /// Machine-to-machine numbers (物联网), 13 digits.
    Iot,
    /// Satellite telephony (天通, Inmarsat).
    Satellite,
    /// Data-only plans (上网卡): 145, 147, 149.
    DataOnly,
    /// Emergency communications of the MIIT (应急通信).
    Emergency,
    /// Not known.
    Unknown,
}

impl Network {
    /// The stable machine code: `mno`, `mvno`, `iot`, `satellite`, `data_only`,
    /// `emergency`, `unknown`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Network::Mno => "mno",
            Network::Mvno => "mvno",
            Network::Iot => "iot",
            Network::Satellite => "satellite",
            Network::DataOnly => "data_only",
            Network::Emergency => "emergency",
            Network::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of a number: from our segment rules for Chinese mobile numbers,
/// from libphonenumber's metadata for everything else.
///
/// Serialises as its [`as_str`](NumberType::as_str) code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = NumberTypeCode))]
pub enum NumberType {
    /// A mobile number (including virtual operators and data-only plans).
    Mobile,
    /// A fixed-line number.
    FixedLine,
    /// Fixed line or mobile; the number alone cannot tell (e.g. the USA).
    FixedLineOrMobile,
    /// Freephone.
    TollFree,
    /// Premium rate.
    PremiumRate,
    /// Shared cost (e.g. China's 400 numbers).
    SharedCost,
    /// A personal number routed to another line.
    PersonalNumber,
    /// Voice over IP.
    Voip,
    /// A pager.
    Pager,
    /// A universal access (company) number.
    Uan,
    /// Voicemail access.
    Voicemail,
    /// A machine-to-machine (IoT) number.
    Iot,
    /// A satellite phone.
    Satellite,
    /// Valid, but of no known type.
    Unknown,
}

impl NumberType {
    /// The stable machine code, e.g. `mobile`, `fixed_line`, `iot`.
    pub const fn as_str(self) -> &'static str {
        match self {
            NumberType::Mobile => "mobile",
            NumberType::FixedLine => "fixed_line",
            NumberType::FixedLineOrMobile => "fixed_line_or_mobile",
            NumberType::TollFree => "toll_free",
            NumberType::PremiumRate => "premium_rate",
            NumberType::SharedCost => "shared_cost",
            NumberType::PersonalNumber => "personal_number",
            NumberType::Voip => "voip",
            NumberType::Pager => "pager",
            NumberType::Uan => "uan",
            NumberType::Voicemail => "voicemail",
            NumberType::Iot => "iot",
            NumberType::Satellite => "satellite",
            NumberType::Unknown => "unknown",
        }
    }

    /// The type of a Chinese mobile-range number on this network.
    pub const fn for_network(network: Network) -> NumberType {
        match network {
            Network::Iot => NumberType::Iot,
            Network::Satellite => NumberType::Satellite,
            _ => NumberType::Mobile,
        }
    }
}

impl fmt::Display for NumberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
