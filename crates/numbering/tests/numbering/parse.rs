//! The parser: every accepted way of writing a number, and every reason to refuse one.

use phoneguard_numbering::{Carrier, Network, NumberType, ParseError, parse};

#[track_caller]
fn national(input: &str) -> String {
    match parse(input) {
        Ok(n) => n.national().to_owned(),
        Err(e) => panic!("{input:?} should parse: {e}"),
    }
}

#[track_caller]
fn reason(input: &str) -> &'static str {
    match parse(input) {
        Ok(n) => panic!("{input:?} should be refused, parsed as {n}"),
        Err(e) => e.code(),
    }
}

#[test]
fn every_way_of_writing_a_chinese_mobile_number_gives_the_same_number() {
    let forms = [
        "13800138000",
        "+8613800138000",
        "008613800138000",
        "8613800138000",
        "+86 138-0013-8000",
        "+86 (138) 0013 8000",
        "(+86) 138.0013.8000",
        "[138] 0013/8000",
        "0086 138 0013 8000",
        "+86 0 138 0013 8000",
        "１３８００１３８０００",
        "＋８６ １３８－００１３－８０００",
        "（１３８）００１３　８０００",
        "  13800138000\n",
        "\u{3000}13800138000\u{3000}",
        "\t+86\u{a0}138\u{2013}0013\u{2014}8000 ",
    ];
    for form in forms {
        let n = parse(form).unwrap_or_else(|e| panic!("{form:?}: {e}"));
        assert_eq!(n.national(), "13800138000", "{form:?}");
        assert_eq!(n.e164(), "+8613800138000", "{form:?}");
        assert_eq!((n.country_code(), n.region()), (86, "CN"), "{form:?}");
        assert_eq!(n.number_type(), NumberType::Mobile, "{form:?}");
    }
}

#[test]
fn the_segment_rule_comes_with_a_parsed_mobile_number() {
    let n = parse("17031234567").unwrap();
    let seg = n.segment().unwrap();
    assert_eq!(
        (seg.carrier, seg.network, seg.segment.as_str()),
        (Some(Carrier::Cmcc), Network::Mvno, "1703")
    );
    assert_eq!(n.to_string(), "+8617031234567");
}

#[test]
fn thirteen_digit_iot_numbers_parse_in_iot_segments_only() {
    let iot = parse("1410123456789").unwrap();
    assert_eq!(
        (iot.national(), iot.number_type()),
        ("1410123456789", NumberType::Iot)
    );
    assert_eq!(national("+86 1440 1234 56789"), "1440123456789");
    assert_eq!(national("1480000000000"), "1480000000000");
    assert_eq!(reason("1380013800012"), "too_long");
    assert_eq!(reason("141012345678"), "too_long");
}

#[test]
fn satellite_and_emergency_numbers_have_their_type() {
    assert_eq!(
        parse("13490001234").unwrap().number_type(),
        NumberType::Satellite
    );
    assert_eq!(
        parse("17490001234").unwrap().number_type(),
        NumberType::Satellite
    );
    assert_eq!(
        parse("17406001234").unwrap().number_type(),
        NumberType::Mobile
    );
    assert_eq!(
        parse("17406001234").unwrap().segment().unwrap().network,
        Network::Emergency
    );
}

#[test]
fn chinese_fixed_lines_with_trunk_zero() {
    let beijing = parse("010-12345678").unwrap();
    assert_eq!(
        (beijing.national(), beijing.number_type()),
        ("1012345678", NumberType::FixedLine)
    );
    assert_eq!(beijing.area_code().as_deref(), Some("010"));
    assert_eq!(beijing.e164(), "+861012345678");
    let shenzhen = parse("0755 8888 8888").unwrap();
    assert_eq!(
        (shenzhen.national(), shenzhen.area_code().as_deref()),
        ("75588888888", Some("0755"))
    );
    assert_eq!(national("+86 10 1234 5678"), "1012345678");
    assert_eq!(national("(0755) 8888-8888"), "75588888888");
    assert_eq!(parse("13800138000").unwrap().area_code(), None);
}

#[test]
fn other_chinese_numbers_are_typed_by_libphonenumber() {
    let shared = parse("400-123-4567").unwrap();
    assert_eq!(
        (shared.national(), shared.number_type()),
        ("4001234567", NumberType::SharedCost)
    );
    assert_eq!(shared.area_code(), None);
}

#[test]
fn international_numbers_are_validated_and_typed() {
    let us = parse("+1 (415) 555-2671").unwrap();
    assert_eq!(
        (us.country_code(), us.region(), us.national()),
        (1, "US", "4155552671")
    );
    assert_eq!(us.number_type(), NumberType::FixedLineOrMobile);
    assert_eq!(us.segment(), None);

    let uk = parse("+447911123456").unwrap();
    assert_eq!(
        (uk.country_code(), uk.national(), uk.number_type()),
        (44, "7911123456", NumberType::Mobile)
    );
    // libphonenumber places 7911 1… with Guernsey, which shares +44.
    assert_eq!(uk.region(), "GG");
    assert_eq!(parse("00 44 7911 123456").unwrap(), uk);
    assert_eq!(parse("＋４４ ７９１１ １２３４５６").unwrap(), uk);
    assert_eq!(
        parse("+44 20 7946 0958").unwrap().number_type(),
        NumberType::FixedLine
    );

    let rome = parse("+39 06 1234 5678").unwrap();
    assert_eq!(
        (rome.region(), rome.national(), rome.e164().as_str()),
        ("IT", "0612345678", "+390612345678")
    );
}

#[test]
fn each_reason_to_refuse_has_its_code() {
    let cases = [
        ("", "empty"),
        ("   \u{3000}", "empty"),
        ("1380013", "too_short"),
        ("1", "too_short"),
        ("+86 138 0013", "too_short"),
        ("+1", "too_short"),
        ("+44 2", "too_short"),
        ("+44 20", "invalid_number"),
        ("138001380001", "too_long"),
        ("13800138000123456789", "too_long"),
        ("+4479111234567777", "too_long"),
        ("abc", "not_a_number"),
        ("138-0013-800O", "not_a_number"),
        ("++8613800138000", "not_a_number"),
        ("1380013+8000", "not_a_number"),
        ("13800138000 ext 12", "not_a_number"),
        ("---", "not_a_number"),
        ("-13800138000", "not_a_number"),
        (".138 0013 8000", "not_a_number"),
        ("+", "not_a_number"),
        ("+999 1234 5678", "invalid_country_code"),
        ("10012345678", "unallocated_segment"),
        ("12345678901", "unallocated_segment"),
        ("15411830000", "unallocated_segment"),
        ("+86 16900000000", "unallocated_segment"),
        ("95588", "invalid_number"),
        ("+1 555 000 0000", "invalid_number"),
        ("010-1234", "invalid_number"),
    ];
    for (input, code) in cases {
        assert_eq!(reason(input), code, "{input:?}");
    }
    assert_eq!(reason(&"1".repeat(65)), "too_long");
    assert_eq!(reason(&"x".repeat(10_000)), "too_long");
}

#[test]
fn messages_name_the_problem_but_never_the_number() {
    let cases = [
        ("", "no number"),
        ("1380013", "too short: 7 digits, expected 11"),
        ("138001380001", "too long: 12 digits"),
        ("13800138000x", "unexpected character 'x'"),
        ("---", "no digits"),
        ("-13800138000", "unexpected character '-'"),
        ("+999 1234 5678", "country calling code"),
        ("12345678901", "segment 123 is not allocated"),
        ("95588", "not a valid number"),
    ];
    for (input, words) in cases {
        let msg = parse(input).unwrap_err().to_string();
        assert!(msg.contains(words), "{input:?} gave {msg:?}");
        assert!(
            input.len() < 6 || !msg.contains(input),
            "{msg:?} repeats the input"
        );
    }
    let long = parse(&"9".repeat(100)).unwrap_err();
    assert_eq!(long, ParseError::InputTooLong { max_chars: 64 });
    assert!(long.to_string().contains("64 characters"));
}

#[test]
fn preloading_leaves_parsing_as_it_was() {
    phoneguard_numbering::preload();
    assert_eq!(national("+86 10 1234 5678"), "1012345678");
    assert_eq!(national("13800138000"), "13800138000");
}
