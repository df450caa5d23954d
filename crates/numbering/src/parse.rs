//! Parsing every way people write a number into one [`ParsedNumber`].

use std::fmt;

use crate::carrier::{Network, NumberType};
use crate::digits::Digits;
use crate::error::ParseError;
use crate::intl;
use crate::normalize::normalize;
use crate::segments::{Segment, SegmentInfo, classify};

/// A number that parsed and validated; no location yet (see [`lookup`](crate::lookup)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParsedNumber {
    pub(crate) country_code: u16,
    pub(crate) region: &'static str,
    pub(crate) national: Digits,
    pub(crate) number_type: NumberType,
    /// For Chinese mobile-range numbers: what the allocation says, if anything.
    pub(crate) segment: Option<SegmentInfo>,
    /// For Chinese fixed-line numbers: digits of the area code (2 or 3, without the trunk 0).
    pub(crate) area_code_len: u8,
    /// Read as a Chinese mobile-range number (by our rules, not libphonenumber).
    pub(crate) mobile_range: bool,
}

impl ParsedNumber {
    /// The country calling code, e.g. 86.
    pub fn country_code(&self) -> u16 {
        self.country_code
    }

    /// The ISO 3166 region, e.g. `CN`; `001` for non-geographic numbers.
    pub fn region(&self) -> &'static str {
        self.region
    }

    /// The national significant number, e.g. `13800138000` or `1012345678`
    /// (no trunk 0).
    pub fn national(&self) -> &str {
        self.national.as_str()
    }

    /// The number in E.164 form, e.g. `+8613800138000`.
    pub fn e164(&self) -> String {
        let mut out = Vec::with_capacity(1 + 3 + self.national.as_bytes().len());
        self.write_e164(&mut out);
        // Only `+` and ASCII digits were written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the E.164 form (`+8613800138000`) to `out`.
    #[inline]
    pub(crate) fn write_e164(&self, out: &mut Vec<u8>) {
        out.push(b'+');
        let code = self.country_code;
        for (div, always) in [(100, false), (10, false), (1, true)] {
            if always || code >= div {
                out.push(b'0' + (code / div % 10) as u8);
            }
        }
        out.extend_from_slice(self.national.as_bytes());
    }

    /// Mobile, fixed line, IoT, … .
    pub fn number_type(&self) -> NumberType {
        self.number_type
    }

    /// For a Chinese mobile-range number, the allocation rule that matched.
    pub fn segment(&self) -> Option<&SegmentInfo> {
        self.segment.as_ref()
    }

    /// The area code of a Chinese fixed-line number with its trunk 0, e.g. `010`.
    pub fn area_code(&self) -> Option<String> {
        self.area_code_digits().map(|a| format!("0{a}"))
    }

    /// The area code of a Chinese fixed-line number without its trunk 0, e.g. `10`.
    pub(crate) fn area_code_digits(&self) -> Option<&str> {
        let len = usize::from(self.area_code_len);
        self.national.as_str().get(..len).filter(|a| !a.is_empty())
    }

    /// Whether this is a Chinese mobile-range number (11 digits, or 13 for IoT,
    /// starting with 1), read with the allocation rules.
    pub fn is_cn_mobile_range(&self) -> bool {
        self.mobile_range
    }

    /// The first three digits, as the segment an unallocated number was checked against.
    pub(crate) fn segment3(&self) -> Option<Segment> {
        Segment::new(self.national.as_bytes(), 3)
    }
}

impl fmt::Display for ParsedNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}{}", self.country_code, self.national.as_str())
    }
}

/// Parses and validates a phone number written in any usual way.
///
/// Chinese numbers may be written `13800138000`, `+8613800138000`,
/// `008613800138000`, `8613800138000`, `+86 138-0013-8000`, with brackets,
/// dots, full-width digits and `＋`; fixed lines with their trunk 0
/// (`010-12345678`). Other countries need `+` or `00`, and are validated and
/// typed with libphonenumber's metadata. A plain 11-digit Chinese mobile number
/// never touches libphonenumber.
///
/// ```
/// let n = phoneguard_numbering::parse("+86 138-0013-8000").unwrap();
/// assert_eq!(n.national(), "13800138000");
/// assert_eq!(phoneguard_numbering::parse("12345").unwrap_err().code(), "too_short");
/// ```
pub fn parse(input: &str) -> Result<ParsedNumber, ParseError> {
    let parsed = parse_lenient(input)?;
    match parsed.segment3() {
        Some(segment) if parsed.segment.is_none() && parsed.is_cn_mobile_range() => {
            Err(ParseError::UnallocatedSegment { segment })
        }
        _ => Ok(parsed),
    }
}

/// Like [`parse`], but keeps an 11-digit Chinese mobile-range number that no
/// allocation rule covers, so a (newer) location table may still know it.
pub(crate) fn parse_lenient(input: &str) -> Result<ParsedNumber, ParseError> {
    if let Some(digits) = plain_cn_mobile(input) {
        return cn_mobile(digits);
    }
    let n = normalize(input)?;
    let d = n.digits.as_bytes();
    if n.plus {
        return international(d);
    }
    match d {
        [b'0', b'0', rest @ ..] => international(rest),
        [b'8', b'6', b'1', ..] if d.len() == 13 => cn_mobile(&d[2..]),
        [b'0', rest @ ..] => cn_national(rest),
        [b'1', ..] => cn_mobile(d),
        _ => intl::validate_cn(d),
    }
}

/// The fast path: exactly eleven ASCII digits starting with 1.
fn plain_cn_mobile(input: &str) -> Option<&[u8]> {
    let b = input.as_bytes();
    (b.len() == 11 && b[0] == b'1' && b.iter().all(u8::is_ascii_digit)).then_some(b)
}

fn is_mobile_range(national: &[u8]) -> bool {
    matches!(national, [b'1', b'1'..=b'9', ..])
}

/// Digits after `+` or `00`.
fn international(d: &[u8]) -> Result<ParsedNumber, ParseError> {
    match d {
        [b'8', b'6', rest @ ..] => cn_national(rest),
        _ => intl::validate_e164(d),
    }
}

/// A Chinese national number after `86` or a trunk 0 (one more 0 is tolerated,
/// as in `+86 (0)10 …`).
fn cn_national(n: &[u8]) -> Result<ParsedNumber, ParseError> {
    let n = n.strip_prefix(b"0").unwrap_or(n);
    if is_mobile_range(n) {
        cn_mobile(n)
    } else if n.len() < 5 {
        let expected = "9 to 11 for a Chinese fixed-line number";
        Err(ParseError::TooShort {
            digits: n.len(),
            expected,
        })
    } else {
        let mut parsed = intl::validate_cn(n)?;
        if matches!(
            parsed.number_type,
            NumberType::FixedLine | NumberType::FixedLineOrMobile
        ) {
            parsed.area_code_len = if matches!(n[0], b'1' | b'2') { 2 } else { 3 };
        }
        Ok(parsed)
    }
}

const MOBILE: &str = "11 for a Chinese mobile number";

/// A Chinese mobile-range number: our allocation rules, never libphonenumber.
fn cn_mobile(n: &[u8]) -> Result<ParsedNumber, ParseError> {
    if n.len() < 11 {
        return Err(ParseError::TooShort {
            digits: n.len(),
            expected: MOBILE,
        });
    }
    let segment = classify(n);
    let allowed = match segment {
        Some(s) => s.allows_len(n.len()),
        None => n.len() == 11,
    };
    if !allowed {
        let iot = segment.is_some_and(|s| s.network == Network::Iot);
        let expected = if iot {
            "11 or 13 for a Chinese IoT number"
        } else {
            MOBILE
        };
        return Err(ParseError::TooLong {
            digits: n.len(),
            expected,
        });
    }
    let national = Digits::from_slice(n).ok_or(ParseError::TooLong {
        digits: n.len(),
        expected: MOBILE,
    })?;
    Ok(ParsedNumber {
        country_code: 86,
        region: "CN",
        national,
        number_type: segment.map_or(NumberType::Mobile, |s| NumberType::for_network(s.network)),
        segment,
        area_code_len: 0,
        mobile_range: true,
    })
}
