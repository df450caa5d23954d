//! `NumberTable::write_json` / `write_csv`: rows are exactly what `lookup` says.

use phoneguard_numbering::{NumberTable, build_table, csv_field, lookup};
use serde_json::Value;

use crate::support::write_phone_dat;

/// Inputs of every kind: plain, formatted, full-width, IoT, satellite,
/// emergency, no location record, fixed line, international, and refused ones.
const INPUTS: &[&str] = &[
    "13800138000",
    "+86 138-0013-8000",
    "008613800138000",
    "１３８００１３８０００",
    "13490001234",
    "17406001234",
    "17490001234",
    "1410123456789",
    "16201851234",
    "17030001234",
    "19200000000",
    "16100000000",
    "15411830000",
    "010-12345678",
    "0755 1234 5678",
    "+14155552671",
    "+390612345678",
    "+447911123456",
    "10012345678",
    "abc",
    "",
    "1380013800",
    "+99912345678",
];

/// Every 10,007th prefix of the table's range, as an 11-digit number.
fn spread(table: &NumberTable) -> Vec<String> {
    table
        .prefix_range()
        .step_by(10_007)
        .map(|p| format!("{p}4321"))
        .collect()
}

/// The CSV row's fields after `input`, as `lookup --file` wrote them before
/// the rows were written directly: from the serde value of the lookup.
fn csv_from_serde(info: &phoneguard_numbering::NumberInfo) -> Vec<u8> {
    let v = serde_json::to_value(info).unwrap();
    let s = |p: &str| match v.pointer(p) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    };
    let fields = [
        "/valid",
        "/number",
        "/national",
        "/country",
        "/type",
        "/location/province",
        "/location/city",
        "/location/area_code",
        "/location/zip",
        "/carrier/code",
        "/carrier/name",
        "/carrier/network",
        "/carrier/segment",
    ];
    let mut out = Vec::new();
    for f in fields {
        csv_field(&s(f), &mut out);
        out.push(b',');
    }
    out
}

fn check(table: &NumberTable, input: &str) {
    let (mut json, mut csv) = (Vec::new(), Vec::new());
    let (j, c) = (
        table.write_json(input, &mut json),
        table.write_csv(input, &mut csv),
    );
    match lookup(table, input) {
        Ok(info) => {
            assert!(j.is_ok() && c.is_ok(), "{input:?}");
            assert_eq!(
                String::from_utf8(json).unwrap(),
                serde_json::to_string(&info).unwrap(),
                "{input:?}"
            );
            assert_eq!(
                String::from_utf8(csv).unwrap(),
                String::from_utf8(csv_from_serde(&info)).unwrap(),
                "{input:?}"
            );
        }
        Err(e) => {
            assert_eq!(j.unwrap_err(), e, "{input:?}");
            assert_eq!(c.unwrap_err(), e, "{input:?}");
            assert!(json.is_empty() && csv.is_empty(), "{input:?}");
        }
    }
}

#[test]
fn rows_are_exactly_the_serde_json_and_csv_of_lookup() {
    let table = NumberTable::embedded();
    for input in INPUTS.iter().map(|s| s.to_string()).chain(spread(table)) {
        check(table, &input);
    }
}

#[test]
fn rows_escape_and_quote_odd_location_records_like_serde_json_and_csv() {
    let records = [
        "a\"b\\c|\u{1}\n\t\u{7f}é|\u{8}\u{c}\r|010",
        "广东,省|深\"圳|518000|0755",
    ];
    let dat = write_phone_dat(b"2312", &records, &[(1380013, 0, 1), (1380014, 1, 2)]);
    let table = NumberTable::from_bytes(&build_table(&dat).unwrap()).unwrap();
    for input in ["13800138000", "13800148000", "13800158000", "010-12345678"] {
        check(&table, input);
    }
    let mut csv = Vec::new();
    table.write_csv("13800148000", &mut csv).unwrap();
    assert!(
        String::from_utf8(csv)
            .unwrap()
            .contains(",\"广东,省\",\"深\"\"圳\","),
        "a field with a comma or a quote is quoted"
    );
}
