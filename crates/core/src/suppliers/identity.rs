//! Personal data of identity queries: validation before any supplier is paid,
//! hashed forms for vendors that take hashes, masks for logs.
//!
//! Names and ID numbers live only in memory for the length of one request;
//! `Debug` never shows them.

use md5::{Digest as _, Md5};
use sha2::Sha256;

/// Weights of GB 11643-1999's check digit (ISO 7064 MOD 11-2).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// A personal value as the caller gave it: in clear (hashes are derived) or
/// already hashed (lower-case hex).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Personal {
    /// The value in clear, if the caller sent it so.
    pub clear: Option<String>,
    /// MD5, lower-case hex.
    pub md5: Option<String>,
    /// SHA-256, lower-case hex.
    pub sha256: Option<String>,
}

impl std::fmt::Debug for Personal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Personal([redacted])")
    }
}

impl Personal {
    /// A value in clear; its MD5 and SHA-256 are derived.
    pub fn clear(value: &str) -> Personal {
        Personal {
            clear: Some(value.to_string()),
            md5: Some(md5_hex(value)),
            sha256: Some(sha256_hex(value)),
        }
    }

    /// A value the caller hashed with MD5 (32 hex characters).
    pub fn from_md5(hex: &str) -> Option<Personal> {
        is_hex(hex, 32).then(|| Personal {
            md5: Some(hex.to_ascii_lowercase()),
            ..Default::default()
        })
    }

    /// A value the caller hashed with SHA-256 (64 hex characters).
    pub fn from_sha256(hex: &str) -> Option<Personal> {
        is_hex(hex, 64).then(|| Personal {
            sha256: Some(hex.to_ascii_lowercase()),
            ..Default::default()
        })
    }
}

/// What an identity match asks: the name, and for 三要素 the ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityQuery {
    /// The holder's name.
    pub name: Personal,
    /// The ID-card number (18 characters, `X` upper case), when given.
    pub id_number: Option<Personal>,
}

/// MD5 of a string, lower-case hex.
pub fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// SHA-256 of a string, lower-case hex.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Validates a resident ID-card number: 18 characters, 17 digits and the GB 11643
/// check character; returns it with `x` upper-cased.
pub fn validate_id_number(s: &str) -> Result<String, &'static str> {
    let s = s.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err("an ID number has 18 characters");
    }
    if !b[..17].iter().all(u8::is_ascii_digit) {
        return Err("the first 17 characters of an ID number are digits");
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    if CHECK[(sum % 11) as usize] != b[17] {
        return Err("the check character of the ID number is wrong (GB 11643)");
    }
    Ok(s)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

/// Validates a name: Chinese (2–20 Han characters, `·` between parts for
/// minority names) or Latin (2–64 letters, spaces, `.`, `-`, `'`); returns it trimmed.
pub fn validate_name(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    let n = s.chars().count();
    let dots = ['·', '•', '．'];
    if s.chars().any(is_han) {
        let ok = (2..=20).contains(&n)
            && s.chars().all(|c| is_han(c) || dots.contains(&c))
            && !s.starts_with(dots)
            && !s.ends_with(dots);
        return if ok {
            Ok(s.to_string())
        } else {
            Err("a Chinese name has 2 to 20 Han characters (· between parts), nothing else")
        };
    }
    let ok = (2..=64).contains(&n)
        && s.chars().any(|c| c.is_alphabetic())
        && s.chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '.' | '-' | '\''));
    if ok {
        Ok(s.to_string())
    } else {
        Err("a name has 2 to 64 letters (Han or Latin script) and no digits or symbols")
    }
}

/// Masks a name for logs: first character, then one `*` per remaining one.
pub fn mask_name(s: &str) -> String {
    let mut it = s.chars();
    match it.next() {
        Some(first) => std::iter::once(first).chain(it.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Masks an ID number for logs: the first 3 and the last character.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 6 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 4));
    out.push(chars[chars.len() - 1]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_need_18_characters_and_a_right_check_character() {
        assert_eq!(
            validate_id_number("11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        assert!(validate_id_number("110105194912310021").is_err());
        assert!(validate_id_number("11010519491231002").is_err());
        assert!(validate_id_number("1101051949123100AX").is_err());
        assert!(validate_id_number("440524188001010014").is_ok());
    }

    #[test]
    fn names_are_han_or_latin_script() {
        assert!(validate_name("张三").is_ok());
        assert!(validate_name("买买提·艾力").is_ok());
        assert!(validate_name(" John Smith ").unwrap() == "John Smith");
        for bad in ["张", "张3", "·张三", "a", "Robert'); DROP", "张三abc", "12"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masks_and_hashes() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_id_number("11010519491231002X"), "110**************X");
        assert_eq!(md5_hex("张三"), "615db57aa314529aaa0fbe95b3e95bd3");
        let p = Personal::clear("张三");
        assert_eq!(p.sha256.as_deref().map(str::len), Some(64));
        assert!(!format!("{p:?}").contains("张"));
        assert!(Personal::from_md5("xyz").is_none());
    }
}
