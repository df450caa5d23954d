//! `mask`: what logs and lists show of a number.

use phoneguard_numbering::mask;

#[test]
fn chinese_mobile_numbers_keep_three_and_four_digits() {
    for form in [
        "13800138000",
        "+8613800138000",
        "+86 138-0013-8000",
        "１３８００１３８０００",
    ] {
        assert_eq!(mask(form), "138****8000", "{form:?}");
    }
    assert_eq!(mask("1410123456789"), "141******6789");
}

#[test]
fn other_countries_keep_their_code() {
    assert_eq!(mask("+447911123456"), "+44 79*****456");
    assert_eq!(mask("+14155552671"), "+1 41*****671");
}

#[test]
fn short_and_odd_input_is_masked_too() {
    assert_eq!(mask("95588"), "9***8");
    assert_eq!(mask("010-12345678"), "10*****678");
    assert_eq!(mask("1234"), "****");
    assert_eq!(mask("12345678901"), "123****8901");
    assert_eq!(mask(""), "***");
    assert_eq!(mask("secret"), "***");
}

#[test]
fn a_mask_never_shows_more_than_seven_digits() {
    for len in 0..40 {
        let digits: String = (0..len)
            .map(|i| char::from(b'0' + (i % 10) as u8))
            .collect();
        let shown = mask(&digits).chars().filter(char::is_ascii_digit).count();
        assert!(
            shown <= 7 && shown * 2 <= len.max(1) + 3,
            "{len} digits show {shown}"
        );
    }
}
