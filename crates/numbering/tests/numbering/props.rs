//! Property tests: nothing panics, and every formatting of a number means that number.

use phoneguard_numbering::{NumberTable, classify, lookup, mask, parse};
use proptest::prelude::*;

/// Characters a parser meets: digits, full-width digits, separators, signs, junk.
fn phone_like() -> impl Strategy<Value = String> {
    let alphabet = prop::sample::select(vec![
        '0', '1', '3', '8', '6', '9', '+', '＋', '-', ' ', '(', ')', '.', '１', '８', '０',
        '\u{3000}', 'x', '\0', 'é', '٣', '\u{202e}',
    ]);
    prop::collection::vec(alphabet, 0..40).prop_map(|v| v.into_iter().collect())
}

/// An 11-digit number in an allocated non-IoT segment.
fn cn_mobile() -> impl Strategy<Value = String> {
    (1_300u32..2_000, 0u32..10_000_000)
        .prop_map(|(head, tail)| format!("{head}{tail:07}"))
        .prop_filter("allocated", |n| classify(n.as_bytes()).is_some())
}

/// Writes `n` (11 digits) one of the accepted ways.
fn formatted(n: &str, style: u8, fullwidth: bool) -> String {
    let (a, b, c) = (&n[..3], &n[3..7], &n[7..]);
    let s = match style % 8 {
        0 => n.to_owned(),
        1 => format!("+86{n}"),
        2 => format!("0086{n}"),
        3 => format!("86{n}"),
        4 => format!("+86 {a}-{b}-{c}"),
        5 => format!("({a}) {b} {c}"),
        6 => format!(" +86 ({a}) {b}.{c} "),
        _ => format!("0086 {a} {b} {c}"),
    };
    if fullwidth {
        s.chars()
            .map(|ch| match ch {
                '0'..='9' => char::from_u32(0xFF10 + (ch as u32 - '0' as u32)).unwrap_or(ch),
                '+' => '＋',
                '-' => '－',
                _ => ch,
            })
            .collect()
    } else {
        s
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn no_string_makes_anything_panic(s in any::<String>()) {
        let _ = parse(&s);
        let _ = lookup(NumberTable::embedded(), &s);
        let _ = mask(&s);
    }

    #[test]
    fn no_phone_like_string_makes_anything_panic(s in phone_like()) {
        if let Ok(n) = parse(&s) {
            prop_assert!(n.e164().starts_with('+'));
            prop_assert!(n.national().bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(n.e164(), n.to_string());
        }
        let _ = lookup(NumberTable::embedded(), &s);
        let _ = mask(&s);
    }

    #[test]
    fn every_formatting_of_a_mobile_number_parses_to_it(n in cn_mobile(), style in 0u8..8, fullwidth in any::<bool>()) {
        let input = formatted(&n, style, fullwidth);
        let parsed = parse(&input).map_err(|e| TestCaseError::fail(format!("{input:?}: {e}")))?;
        prop_assert_eq!(parsed.national(), n.as_str());
        let info = lookup(NumberTable::embedded(), &input).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(info.national, n);
        prop_assert!(info.carrier.is_some());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn write_json_matches_serde_json(n in cn_mobile()) {
        let info = lookup(NumberTable::embedded(), &n).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut ours = Vec::new();
        info.write_json(&mut ours);
        prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&info).unwrap());
    }
}
