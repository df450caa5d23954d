//! `lookup`: the API's shape, and how rules and table combine.

use phoneguard_numbering::{NumberInfo, NumberTable, build_table, lookup};
use serde_json::{Value, json};

use crate::support::tiny_phone_dat;

fn info(input: &str) -> NumberInfo {
    lookup(NumberTable::embedded(), input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

fn json_of(input: &str) -> Value {
    serde_json::to_value(info(input)).unwrap()
}

#[test]
fn a_chinese_mobile_number_serialises_exactly_as_the_api_says() {
    let expected = json!({
        "number": "+8613800138000",
        "national": "13800138000",
        "country": "CN",
        "valid": true,
        "location": {"province": "北京", "city": "北京", "area_code": "010", "zip": "100000"},
        "carrier": {"code": "cmcc", "name": "中国移动", "network": "mno", "segment": "138"},
        "type": "mobile"
    });
    for form in [
        "13800138000",
        "+86 138-0013-8000",
        "008613800138000",
        "１３８００１３８０００",
    ] {
        assert_eq!(json_of(form), expected, "{form:?}");
    }
}

#[test]
fn the_rules_correct_phone_dat_card_types() {
    // phone.dat calls 1349 a Mobile MVNO: it is China Telecom's satellite segment.
    let sat = json_of("13490001234");
    assert_eq!(
        sat["carrier"],
        json!({"code": "ctcc", "name": "中国电信", "network": "satellite", "segment": "1349"})
    );
    assert_eq!(sat["type"], "satellite");
    assert_eq!(sat["location"]["city"], "北京");
    // phone.dat calls most of 162 plain Telecom: it is resold.
    assert_eq!(json_of("16201851234")["carrier"]["network"], "mvno");
    assert_eq!(json_of("17030001234")["carrier"]["segment"], "1703");
}

#[test]
fn an_allocated_number_without_a_location_record_still_gets_its_carrier() {
    let v = json_of("19200000000");
    assert_eq!(v["carrier"]["code"], "cbn");
    let broadnet_2026 = json_of("16100000000");
    assert_eq!(broadnet_2026["location"], Value::Null);
    assert_eq!(
        broadnet_2026["carrier"],
        json!({"code": "cbn", "name": "中国广电", "network": "mno", "segment": "1610"})
    );
    let iot = json_of("1410123456789");
    assert_eq!(
        (iot["location"].clone(), iot["type"].clone()),
        (Value::Null, json!("iot"))
    );
    assert_eq!(iot["carrier"]["network"], "iot");
}

#[test]
fn segments_of_no_carrier_have_a_null_code() {
    let v = json_of("17406001234");
    assert_eq!(
        v["carrier"],
        json!({"code": null, "name": null, "network": "emergency", "segment": "17406"})
    );
    assert_eq!(json_of("17490001234")["carrier"]["network"], "satellite");
}

#[test]
fn a_prefix_only_the_table_knows_takes_phone_dats_card_type() {
    // No rule holds 154, but phone.dat has 1541183 (Telecom, 西安).
    let v = json_of("15411830000");
    assert_eq!(
        v["carrier"],
        json!({"code": "ctcc", "name": "中国电信", "network": "mno", "segment": "154"})
    );
    assert_eq!(v["location"]["city"], "西安");
    let err = lookup(NumberTable::embedded(), "15400000000").unwrap_err();
    assert_eq!(err.code(), "unallocated_segment");
}

#[test]
fn fixed_lines_are_located_by_area_code() {
    let v = json_of("010-12345678");
    assert_eq!(
        v["location"],
        json!({"province": "北京", "city": "北京", "area_code": "010", "zip": "100000"})
    );
    assert_eq!(
        (v["type"].clone(), v["carrier"].clone()),
        (json!("fixed_line"), Value::Null)
    );
    assert_eq!(v["number"], "+861012345678");
    assert_eq!(json_of("0755 8888 8888")["location"]["city"], "深圳");
}

#[test]
fn international_numbers_have_a_country_and_no_location_or_carrier() {
    let expected = json!({
        "number": "+14155552671",
        "national": "4155552671",
        "country": "US",
        "valid": true,
        "location": null,
        "carrier": null,
        "type": "fixed_line_or_mobile"
    });
    assert_eq!(json_of("+1 415 555 2671"), expected);
    assert_eq!(json_of("+447911123456")["type"], "mobile");
}

#[test]
fn lookup_refuses_what_parse_refuses() {
    for (input, code) in [
        ("", "empty"),
        ("abc", "not_a_number"),
        ("12345678901", "unallocated_segment"),
    ] {
        assert_eq!(
            lookup(NumberTable::embedded(), input).unwrap_err().code(),
            code
        );
    }
}

#[test]
fn lookup_works_on_any_loaded_table() {
    let table = NumberTable::from_bytes(&build_table(&tiny_phone_dat()).unwrap()).unwrap();
    let v = serde_json::to_value(lookup(&table, "13900021234").unwrap()).unwrap();
    assert_eq!(v["location"]["city"], "普洱");
    assert_eq!(
        serde_json::to_value(lookup(&table, "13800000000").unwrap()).unwrap()["location"],
        Value::Null
    );
}

#[test]
fn write_json_writes_what_serde_json_writes() {
    let table = NumberTable::embedded();
    let inputs = [
        "13800138000",
        "13490001234",
        "17406001234",
        "1410123456789",
        "010-12345678",
        "+14155552671",
    ];
    for input in inputs
        .into_iter()
        .chain(["15411830000", "+390612345678", "19200000000"])
    {
        let info = lookup(table, input).unwrap();
        let mut ours = Vec::new();
        info.write_json(&mut ours);
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string(&info).unwrap(),
            "{input}"
        );
    }
}

#[test]
fn write_json_escapes_like_serde_json() {
    let records = ["a\"b\\c|\u{1}\n\t\u{7f}é|\u{8}\u{c}\r|010"];
    let dat = crate::support::write_phone_dat(b"2312", &records, &[(1380013, 0, 1)]);
    let table = NumberTable::from_bytes(&build_table(&dat).unwrap()).unwrap();
    let info = lookup(&table, "13800138000").unwrap();
    let mut ours = Vec::new();
    info.write_json(&mut ours);
    assert_eq!(
        String::from_utf8(ours).unwrap(),
        serde_json::to_string(&info).unwrap()
    );
}
