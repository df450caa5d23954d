//! The national allocation of mobile number segments (号段), as rules.
//!
//! These rules decide the carrier and network of a Chinese mobile-range
//! number. They are the authority where `phone.dat`'s card type is missing
//! or wrong (it calls 1349 a Mobile MVNO and 162 plain Telecom, and knows
//! nothing of 13-digit IoT numbers); the location table only adds where a
//! number is registered. A longer prefix beats a shorter one, so `1349`
//! (satellite) overrides `134` (China Mobile).

use std::fmt;

use serde::{Serialize, Serializer};

use crate::carrier::{Carrier, Network};

/// One rule of the allocation: these prefixes belong to this carrier and network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Who holds the segments, in words.
    pub holder: &'static str,
    /// The carrier; `None` for segments held by someone else (e.g. Inmarsat).
    pub carrier: Option<Carrier>,
    /// The kind of network.
    pub network: Network,
    /// Leading digits (3 to 5, starting with `1`) the rule covers.
    pub prefixes: &'static [&'static str],
}

const fn rule(
    holder: &'static str,
    carrier: Option<Carrier>,
    network: Network,
    prefixes: &'static [&'static str],
) -> Rule {
    Rule {
        holder,
        carrier,
        network,
        prefixes,
    }
}

const CMCC: Option<Carrier> = Some(Carrier::Cmcc);
const CUCC: Option<Carrier> = Some(Carrier::Cucc);
const CTCC: Option<Carrier> = Some(Carrier::Ctcc);
const CBN: Option<Carrier> = Some(Carrier::Cbn);

/// The allocation, one rule per holder and kind of network.
pub const RULES: &[Rule] = &[
    rule(
        "China Mobile",
        CMCC,
        Network::Mno,
        &[
            "134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
            "172", "178", "182", "183", "184", "187", "188", "195", "197", "198",
        ],
    ),
    rule(
        "China Unicom",
        CUCC,
        Network::Mno,
        &[
            "130", "131", "132", "155", "156", "166", "175", "176", "185", "186", "196",
        ],
    ),
    rule(
        "China Telecom",
        CTCC,
        Network::Mno,
        &[
            "133", "153", "173", "177", "180", "181", "189", "190", "191", "193", "199",
        ],
    ),
    rule(
        "China Broadnet (1610 since 2026)",
        CBN,
        Network::Mno,
        &["192", "1610"],
    ),
    rule(
        "China Telecom resold",
        CTCC,
        Network::Mvno,
        &["162", "1700", "1701", "1702"],
    ),
    rule(
        "China Mobile resold",
        CMCC,
        Network::Mvno,
        &["165", "1703", "1705", "1706"],
    ),
    rule(
        "China Unicom resold",
        CUCC,
        Network::Mvno,
        &["167", "1704", "1707", "1708", "1709", "171"],
    ),
    rule("China Unicom data-only", CUCC, Network::DataOnly, &["145"]),
    rule("China Mobile data-only", CMCC, Network::DataOnly, &["147"]),
    rule("China Telecom data-only", CTCC, Network::DataOnly, &["149"]),
    rule("China Telecom IoT", CTCC, Network::Iot, &["1410"]),
    rule(
        "China Mobile IoT",
        CMCC,
        Network::Iot,
        &["1440", "1441", "148"],
    ),
    rule("China Unicom IoT", CUCC, Network::Iot, &["146"]),
    rule(
        "China Telecom satellite (Tiantong)",
        CTCC,
        Network::Satellite,
        &["1349", "17400", "17401", "17402", "17403", "17404", "17405"],
    ),
    rule(
        "Inmarsat, China Transport Telecommunication & Information Center",
        None,
        Network::Satellite,
        &["1749"],
    ),
    rule(
        "MIIT Emergency Communication Support Center",
        None,
        Network::Emergency,
        &[
            "17406", "17407", "17408", "17409", "17410", "17411", "17412",
        ],
    ),
];

/// The leading digits that decided a number's carrier, e.g. `138` or `1703`.
///
/// Serialises as a string.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Segment {
    digits: [u8; 5],
    len: u8,
}

impl Segment {
    /// The first `len` (3 to 5) digits of `national`, if it has that many ASCII digits.
    pub fn new(national: &[u8], len: usize) -> Option<Segment> {
        let src = national.get(..len).filter(|_| (3..=5).contains(&len))?;
        if !src.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut digits = [0; 5];
        digits[..len].copy_from_slice(src);
        Some(Segment {
            digits,
            len: len as u8,
        })
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Segment({})", self.as_str())
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What the allocation says about one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SegmentInfo {
    /// The carrier holding the segment, if one of the four.
    pub carrier: Option<Carrier>,
    /// The kind of network.
    pub network: Network,
    /// The prefix that decided it.
    pub segment: Segment,
    /// The rule that matched.
    pub rule: &'static Rule,
}

impl SegmentInfo {
    /// How many digits a number in this segment has: 13 is allowed for IoT only.
    pub fn allows_len(&self, len: usize) -> bool {
        len == 11 || (len == 13 && self.network == Network::Iot)
    }
}

/// Classifies a Chinese mobile-range national number by its leading digits.
///
/// `national` needs at least five ASCII digits, the first of them `1`;
/// `None` means no rule covers it (an unallocated segment).
pub fn classify(national: &[u8]) -> Option<SegmentInfo> {
    let [b'1', rest @ ..] = national.get(..5)? else {
        return None;
    };
    let mut key = 0usize;
    for &c in rest {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        key = key * 10 + usize::from(d);
    }
    let slot = *INDEX.get(key)?;
    let rule = RULES.get(usize::from(slot & 0xff).checked_sub(1)?)?;
    Some(SegmentInfo {
        carrier: rule.carrier,
        network: rule.network,
        segment: Segment::new(national, usize::from(slot >> 8))?,
        rule,
    })
}

/// Five-digit prefixes `1xxxx` → (matched length << 8) | (rule index + 1).
static INDEX: [u16; 10_000] = build_index();

const fn build_index() -> [u16; 10_000] {
    let mut index = [0u16; 10_000];
    let mut len = 3;
    while len <= 5 {
        let mut r = 0;
        while r < RULES.len() {
            let mut p = 0;
            while p < RULES[r].prefixes.len() {
                let prefix = RULES[r].prefixes[p].as_bytes();
                if prefix.len() == len {
                    fill(&mut index, prefix, ((len as u16) << 8) | (r as u16 + 1));
                }
                p += 1;
            }
            r += 1;
        }
        len += 1;
    }
    index
}

const fn fill(index: &mut [u16; 10_000], prefix: &[u8], value: u16) {
    assert!(
        prefix.len() >= 3 && prefix.len() <= 5 && prefix[0] == b'1',
        "bad segment rule prefix"
    );
    let mut base = 0;
    let mut i = 1;
    while i < prefix.len() {
        assert!(
            prefix[i].is_ascii_digit(),
            "segment rule prefix must be digits"
        );
        base = base * 10 + (prefix[i] - b'0') as usize;
        i += 1;
    }
    let mut span = 1;
    while i < 5 {
        span *= 10;
        i += 1;
    }
    let mut k = base * span;
    while k < (base + 1) * span {
        assert!(
            index[k] >> 8 != value >> 8,
            "two segment rules with the same prefix"
        );
        index[k] = value;
        k += 1;
    }
}
