//! From what people type to a sign and a run of digits.

use crate::digits::{CAPACITY, Digits};
use crate::error::ParseError;

/// The longest input looked at, in characters.
pub(crate) const MAX_CHARS: usize = 64;

/// An input reduced to an optional leading `+` and its digits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Normalized {
    /// A `+` or full-width `＋` came before the first digit.
    pub(crate) plus: bool,
    /// The digits, full-width ones folded to ASCII.
    pub(crate) digits: Digits,
}

/// Strips whitespace and separators, folds full-width digits and the
/// full-width plus, and refuses anything else.
pub(crate) fn normalize(input: &str) -> Result<Normalized, ParseError> {
    // Four bytes per character at most: longer input cannot be short enough.
    if input.len() > MAX_CHARS * 4 {
        return Err(ParseError::InputTooLong {
            max_chars: MAX_CHARS,
        });
    }
    let s = input.trim();
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    if s.chars().count() > MAX_CHARS {
        return Err(ParseError::InputTooLong {
            max_chars: MAX_CHARS,
        });
    }
    let mut plus = false;
    let mut digits = Digits::default();
    let mut count = 0usize;
    let mut leading = None;
    for c in s.chars() {
        let digit = match c {
            '0'..='9' => Some(c as u8),
            '\u{FF10}'..='\u{FF19}' => Some(b'0' + (u32::from(c) - 0xFF10) as u8),
            _ => None,
        };
        if let Some(d) = digit {
            count += 1;
            // Past the capacity keep counting, to report too_long rather than junk.
            digits.push(d);
        } else if (c == '+' || c == '\u{FF0B}') && !plus && count == 0 {
            plus = true;
        } else if !is_separator(c) {
            return Err(ParseError::NotANumber { found: c });
        } else if count == 0 && !(c.is_whitespace() || is_opening_bracket(c)) {
            // `-13800138000`, `.138…`, `/138…`: a sign or a separator before
            // the first digit is not a way of writing a number.
            leading.get_or_insert(c);
        }
    }
    if count == 0 {
        return Err(ParseError::NoDigits);
    }
    if let Some(found) = leading {
        return Err(ParseError::NotANumber { found });
    }
    if count > CAPACITY {
        let expected = if plus {
            "at most 15 after +"
        } else {
            "at most 17"
        };
        return Err(ParseError::TooLong {
            digits: count,
            expected,
        });
    }
    Ok(Normalized { plus, digits })
}

/// Brackets that may open a number, before its first digit: `(010) …`, `[138] …`.
fn is_opening_bracket(c: char) -> bool {
    matches!(c, '(' | '[' | '\u{FF08}')
}

/// Characters people put between digits: whitespace, dashes, dots, slashes
/// and brackets, in their ASCII and full-width forms.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.' | '/' | '(' | ')' | '[' | ']' | '\u{2010}'
                ..='\u{2015}' // hyphens and dashes
                | '\u{2212}' // minus sign
                | '\u{FF08}' // （
                | '\u{FF09}' // ）
                | '\u{FF0D}' // －
                | '\u{FF0E}' // ．
                | '\u{FF0F}' // ／
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_or_separator_before_the_first_digit_is_refused() {
        for input in [
            "-13800138000",
            "\u{2212}13800138000",
            ".13800138000",
            "/138 0013 8000",
            "- 138",
        ] {
            let found = input.trim().chars().next().unwrap();
            assert_eq!(
                normalize(input).unwrap_err(),
                ParseError::NotANumber { found },
                "{input:?}"
            );
        }
        assert_eq!(
            normalize("+-13800138000").unwrap_err(),
            ParseError::NotANumber { found: '-' }
        );
        for input in [
            "(010) 1234 5678",
            "[138] 0013/8000",
            "(+86) 138",
            " +86 138",
            "\u{FF08}138\u{FF09}",
        ] {
            assert!(normalize(input).is_ok(), "{input:?}");
        }
        assert_eq!(normalize("---").unwrap_err(), ParseError::NoDigits);
    }
}
