//! Masking numbers for logs and lists: `138****8000`.

use crate::parse::parse;

/// Masks a number for logs and lists, keeping the first 3 and last 4 digits
/// of the national number: `13800138000` and `+8613800138000` give
/// `138****8000`; other countries keep their code, `+44 79*****456`.
///
/// Shorter national numbers show less (`95588` → `9***8`, four digits or
/// fewer → all stars); input that is not a number is masked digit by digit
/// just the same, and never echoed.
pub fn mask(e164_or_national: &str) -> String {
    match parse(e164_or_national) {
        Ok(n) if n.country_code() == 86 => mask_digits(n.national().as_bytes()),
        Ok(n) => format!(
            "+{} {}",
            n.country_code(),
            mask_digits(n.national().as_bytes())
        ),
        Err(_) => {
            let digits: Vec<u8> = e164_or_national
                .chars()
                .filter_map(|c| match c {
                    '0'..='9' => Some(c as u8),
                    '\u{FF10}'..='\u{FF19}' => Some(b'0' + (u32::from(c) - 0xFF10) as u8),
                    _ => None,
                })
                .take(64)
                .collect();
            if digits.is_empty() {
                "***".to_owned()
            } else {
                mask_digits(&digits)
            }
        }
    }
}

/// Keeps a head and a tail that together show at most about half the digits.
fn mask_digits(digits: &[u8]) -> String {
    let n = digits.len();
    let (head, tail) = match n {
        0..=4 => (0, 0),
        11.. => (3, 4),
        _ => (n / 4, n / 3),
    };
    let mut out = String::with_capacity(n);
    for (i, &d) in digits.iter().enumerate() {
        out.push(if i < head || i >= n - tail {
            char::from(d)
        } else {
            '*'
        });
    }
    out
}
