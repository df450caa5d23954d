//! Everything that is not a Chinese mobile-range number: libphonenumber's
//! metadata (through the `phonenumber` crate) validates and types it.

use phonenumber::metadata::DATABASE;
use phonenumber::{NationalNumber, PhoneNumber, Type};

use crate::carrier::NumberType;
use crate::digits::Digits;
use crate::error::ParseError;
use crate::parse::ParsedNumber;

/// Region of numbers that belong to no country (e.g. +800), as libphonenumber has it.
const NON_GEOGRAPHIC: &str = "001";

/// Loads libphonenumber's metadata and compiles China's patterns.
pub(crate) fn preload() {
    let _ = validate_e164(b"861012345678");
}

/// Validates a Chinese national number (no trunk 0) that is not mobile-range.
pub(crate) fn validate_cn(national: &[u8]) -> Result<ParsedNumber, ParseError> {
    let mut digits = Digits::default();
    for &d in b"86".iter().chain(national) {
        if !digits.push(d) {
            let expected = "at most 13 for a Chinese number";
            return Err(ParseError::TooLong {
                digits: national.len(),
                expected,
            });
        }
    }
    validate_e164(digits.as_bytes())
}

/// Validates the digits of an E.164 number (country code first, no `+`).
pub(crate) fn validate_e164(digits: &[u8]) -> Result<ParsedNumber, ParseError> {
    if digits.len() > 15 {
        return Err(ParseError::TooLong {
            digits: digits.len(),
            expected: "at most 15 after + or 00",
        });
    }
    if digits.len() < 4 {
        return Err(ParseError::TooShort {
            digits: digits.len(),
            expected: "at least 4 after + or 00",
        });
    }
    // Only `+` and up to 15 ASCII digits ever reach libphonenumber.
    let mut buf = [b'+'; 16];
    buf[1..=digits.len()].copy_from_slice(digits);
    let text = std::str::from_utf8(&buf[..=digits.len()]).map_err(|_| ParseError::NoDigits)?;
    let number = phonenumber::parse(None, text).map_err(|e| map_error(&e, digits.len()))?;
    if !number.is_valid() {
        return Err(ParseError::InvalidNumber);
    }
    let national = national_digits(number.national()).ok_or(ParseError::InvalidNumber)?;
    let country_code = number.code().value();
    Ok(ParsedNumber {
        country_code,
        region: region_of(&number, country_code),
        national,
        number_type: map_type(number.number_type(&DATABASE)),
        segment: None,
        area_code_len: 0,
        mobile_range: false,
    })
}

fn map_error(e: &phonenumber::ParseError, digits: usize) -> ParseError {
    use phonenumber::ParseError as E;
    match e {
        E::InvalidCountryCode => ParseError::InvalidCountryCode,
        E::TooShortAfterIdd | E::TooShortNsn => ParseError::TooShort {
            digits,
            expected: "more for a number of that country",
        },
        E::TooLong => ParseError::TooLong {
            digits,
            expected: "fewer for a number of that country",
        },
        _ => ParseError::InvalidNumber,
    }
}

/// The region whose metadata matched, else the main region of the calling code.
fn region_of(number: &PhoneNumber, code: u16) -> &'static str {
    let db: &'static phonenumber::metadata::Database = &DATABASE;
    number
        .metadata(db)
        .map(|m| m.id())
        .or_else(|| db.region(&code).and_then(|ids| ids.first().copied()))
        .unwrap_or(NON_GEOGRAPHIC)
}

/// The national significant number with its leading zeros (Italy keeps them).
fn national_digits(n: &NationalNumber) -> Option<Digits> {
    let mut out = Digits::default();
    for _ in 0..n.zeros() {
        if !out.push(b'0') {
            return None;
        }
    }
    let mut buf = [0u8; 20];
    let mut value = n.value();
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 || start == 0 {
            break;
        }
    }
    for &d in &buf[start..] {
        if !out.push(d) {
            return None;
        }
    }
    Some(out)
}

fn map_type(t: Type) -> NumberType {
    match t {
        Type::FixedLine => NumberType::FixedLine,
        Type::Mobile => NumberType::Mobile,
        Type::FixedLineOrMobile => NumberType::FixedLineOrMobile,
        Type::TollFree => NumberType::TollFree,
        Type::PremiumRate => NumberType::PremiumRate,
        Type::SharedCost => NumberType::SharedCost,
        Type::PersonalNumber => NumberType::PersonalNumber,
        Type::Voip => NumberType::Voip,
        Type::Pager => NumberType::Pager,
        Type::Uan => NumberType::Uan,
        Type::Voicemail => NumberType::Voicemail,
        _ => NumberType::Unknown,
    }
}
