//! What the caller knows about the event's phone number, and the phone's
//! counter identity.

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::validate::{is_hex32, looks_like_phone};

/// Facts about the event's `pn` that the caller looked up (number table,
/// optionally a line-status supplier). The engine uses them only when `pn`
/// is a plain number, not an MD5.
///
/// [`PhoneFacts::default`] means "nothing known": a valid, allocated number
/// of unknown network, so an unchecked number raises no phone risk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneFacts {
    /// The number parses and is valid for its country.
    pub valid: bool,
    /// Carrier network type: `mno`, `mvno`, `iot`, `data_only`,
    /// `satellite`, `unknown`; `None` when not looked up.
    pub network: Option<String>,
    /// Its segment is allocated to a carrier.
    pub allocated: bool,
    /// Carrier code (`cmcc`, `cucc`, `ctcc`, `cbn`, …).
    pub carrier: Option<String>,
    /// Line status code (`normal`, `suspended`, `cancelled`, `unavailable`,
    /// `pre_cancelled`, `not_this_network`) when a supplier was asked.
    pub line_status: Option<String>,
}

impl Default for PhoneFacts {
    fn default() -> Self {
        PhoneFacts {
            valid: true,
            network: None,
            allocated: true,
            carrier: None,
            line_status: None,
        }
    }
}

impl PhoneFacts {
    /// Whether the line status means the number cannot be in its owner's
    /// hands right now (anything but `normal` or unknown).
    pub fn line_is_bad(&self) -> bool {
        matches!(
            self.line_status.as_deref(),
            Some("cancelled" | "suspended" | "unavailable" | "pre_cancelled" | "not_this_network")
        )
    }
}

/// How the event gave its phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PnKind {
    /// No `pn`.
    Absent,
    /// The 32-hex MD5 the seed asks for.
    Md5,
    /// A plain number.
    Number,
    /// Neither (a validation error).
    Invalid,
}

impl PnKind {
    /// Of the event's `pn`.
    pub fn of(pn: Option<&str>) -> PnKind {
        match pn {
            None => PnKind::Absent,
            Some(p) if is_hex32(p) => PnKind::Md5,
            Some(p) if looks_like_phone(p) => PnKind::Number,
            Some(_) => PnKind::Invalid,
        }
    }

    /// `""`, `"md5"`, `"number"` or `"invalid"`, as in the `pn_kind` feature.
    pub fn as_str(self) -> &'static str {
        match self {
            PnKind::Absent => "",
            PnKind::Md5 => "md5",
            PnKind::Number => "number",
            PnKind::Invalid => "invalid",
        }
    }
}

/// The phone's identity for counters: the lower-case MD5 of its national
/// digits, so `13800138000`, `+86 138-0013-8000` and the MD5 the seed's SDK
/// sends count as one phone. Chinese numbers lose their `86`/`0086` prefix;
/// other numbers are hashed with their digits as written.
pub fn phone_key(pn: &str) -> Option<String> {
    match PnKind::of(Some(pn)) {
        PnKind::Md5 => Some(pn.to_ascii_lowercase()),
        PnKind::Number => {
            let digits: String = pn.chars().filter(char::is_ascii_digit).collect();
            let national = ["0086", "86"]
                .iter()
                .find_map(|p| {
                    digits
                        .strip_prefix(p)
                        .filter(|rest| rest.len() == 11 && rest.starts_with('1'))
                })
                .unwrap_or(&digits);
            Some(hex::encode(Md5::digest(national.as_bytes())))
        }
        PnKind::Absent | PnKind::Invalid => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_and_its_md5_share_one_key() {
        let md5 = hex::encode(Md5::digest(b"13800138000"));
        assert_eq!(phone_key("13800138000"), Some(md5.clone()));
        assert_eq!(phone_key("+86 138-0013-8000"), Some(md5.clone()));
        assert_eq!(phone_key("008613800138000"), Some(md5.clone()));
        assert_eq!(phone_key(&md5.to_uppercase()), Some(md5));
        assert_eq!(phone_key("not a phone"), None);
    }

    #[test]
    fn only_abnormal_line_statuses_are_bad() {
        let with = |s: &str| PhoneFacts {
            line_status: Some(s.into()),
            ..PhoneFacts::default()
        };
        assert!(with("suspended").line_is_bad());
        assert!(with("cancelled").line_is_bad());
        assert!(!with("normal").line_is_bad());
        assert!(!PhoneFacts::default().line_is_bad());
    }
}
