//! Why a number was refused.

use thiserror::Error;

use crate::segments::Segment;

/// Why an input is not a usable phone number.
///
/// [`code`](ParseError::code) is the stable machine reason; `Display` is a
/// message for people that names the problem (never the number itself).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("no number given")]
    Empty,
    /// Fewer digits than any number of this kind has.
    #[error("too short: {digits} digits, expected {expected}")]
    TooShort {
        /// Digits found.
        digits: usize,
        /// What was expected, in words (e.g. `11 for a Chinese mobile number`).
        expected: &'static str,
    },
    /// More digits than any number of this kind has.
    #[error("too long: {digits} digits, expected {expected}")]
    TooLong {
        /// Digits found.
        digits: usize,
        /// What was expected, in words (e.g. `at most 15 after + or 00`).
        expected: &'static str,
    },
    /// The input itself is longer than any way of writing a number.
    #[error("too long: more than {max_chars} characters")]
    InputTooLong {
        /// The most characters accepted.
        max_chars: usize,
    },
    /// Letters or other characters that are neither digits nor separators.
    #[error("not a phone number: unexpected character {found:?}")]
    NotANumber {
        /// The first offending character.
        found: char,
    },
    /// Separators only, or a plus sign with no digits.
    #[error("not a phone number: no digits")]
    NoDigits,
    /// The country calling code after `+` or `00` is not assigned.
    #[error("invalid country calling code")]
    InvalidCountryCode,
    /// A Chinese mobile-range number in a segment no carrier holds.
    #[error("segment {segment} is not allocated to any carrier")]
    UnallocatedSegment {
        /// The leading digits that were checked.
        segment: Segment,
    },
    /// libphonenumber's metadata says no number of that country looks like this.
    #[error("not a valid number of its country")]
    InvalidNumber,
}

impl ParseError {
    /// The stable snake_case reason: `empty`, `too_short`, `too_long`,
    /// `not_a_number`, `invalid_country_code`, `unallocated_segment`,
    /// `invalid_number`.
    pub const fn code(&self) -> &'static str {
        match self {
            ParseError::Empty => "empty",
            ParseError::TooShort { .. } => "too_short",
            ParseError::TooLong { .. } | ParseError::InputTooLong { .. } => "too_long",
            ParseError::NotANumber { .. } | ParseError::NoDigits => "not_a_number",
            ParseError::InvalidCountryCode => "invalid_country_code",
            ParseError::UnallocatedSegment { .. } => "unallocated_segment",
            ParseError::InvalidNumber => "invalid_number",
        }
    }
}
