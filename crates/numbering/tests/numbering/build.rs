//! Compiling phone.dat: the round trip, and refusing what is not a phone.dat.

use phoneguard_numbering::{BuildError, CardType, NumberTable, build_table, repair};

use crate::support::{read_phone_dat, real_phone_dat, tiny_phone_dat, write_phone_dat};

/// Every prefix of the original, read the plain way, is in the table with the
/// same record (but for the documented repairs) and card type, and no other prefix is.
fn assert_same_as_original(dat: &[u8], table: &NumberTable) {
    let mut original = read_phone_dat(dat);
    for (record, _) in original.values_mut() {
        let fields: Vec<String> = record
            .split('|')
            .enumerate()
            .map(|(i, f)| repair(i, f).into_owned())
            .collect();
        *record = fields.join("|");
    }
    assert_eq!(table.len(), original.len());
    for prefix in 1_000_000..=1_999_999 {
        let ours = table.lookup_prefix(prefix).map(|e| {
            let l = table.location(e).expect("entry names a record");
            (
                format!("{}|{}|{}|{}", l.province, l.city, l.zip, l.area_code),
                e.card_type().raw(),
            )
        });
        assert_eq!(ours.as_ref(), original.get(&prefix), "prefix {prefix}");
    }
}

#[test]
fn a_synthetic_phone_dat_round_trips_prefix_by_prefix() {
    let dat = tiny_phone_dat();
    let table = NumberTable::from_bytes(&build_table(&dat).unwrap()).unwrap();
    assert_same_as_original(&dat, &table);
    assert_eq!(table.source_version(), "2401");
    assert_eq!(table.records().len(), 4);
    assert_eq!(table.prefix_range(), 1_300_000..2_000_000);
}

#[test]
fn the_committed_fixture_builds() {
    let dat = include_bytes!("../fixtures/tiny_phone.dat");
    let table = NumberTable::from_bytes(&build_table(dat).unwrap()).unwrap();
    assert_same_as_original(dat, &table);
    let entry = table.lookup_cn_mobile(b"13800138000").unwrap();
    assert_eq!(table.location(entry).unwrap().city, "北京");
}

#[test]
#[ignore = "needs PHONE_DAT=/path/to/phone.dat (phone 0.4.5 from PyPI)"]
fn the_real_phone_dat_round_trips_and_matches_the_committed_table() {
    let dat = real_phone_dat().expect("set PHONE_DAT");
    let built = build_table(&dat).unwrap();
    let table = NumberTable::from_bytes(&built).unwrap();
    assert_eq!(table.len(), 499_527);
    assert_same_as_original(&dat, &table);
    let committed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/numbering.bin"
    ))
    .unwrap();
    assert!(
        built == committed,
        "data/numbering.bin is not what phone.dat compiles to"
    );
}

#[test]
fn a_fork_with_more_prefixes_and_new_card_types_builds() {
    let records = ["北京|北京|100000|010"];
    let entries: Vec<(i32, usize, u8)> = (0..517_000)
        .map(|i| (1_300_000 + i, 0, (i % 9) as u8))
        .collect();
    let table = NumberTable::from_bytes(
        &build_table(&write_phone_dat(b"2501", &records, &entries)).unwrap(),
    )
    .unwrap();
    assert_eq!(table.len(), 517_000);
    assert_eq!(
        table.lookup_prefix(1_300_008).unwrap().card_type(),
        CardType::new(8).unwrap()
    );
    assert_eq!(
        table.lookup_prefix(1_300_009).unwrap().card_type(),
        CardType::new(0).unwrap()
    );
}

fn build_err(dat: &[u8]) -> BuildError {
    build_table(dat).expect_err("garbage must be refused")
}

#[test]
fn zips_that_lost_their_leading_zero_and_a_doubled_trunk_zero_are_repaired() {
    assert_eq!(repair(2, "71000"), "071000");
    assert_eq!(repair(2, "100000"), "100000");
    assert_eq!(repair(2, ""), "");
    assert_eq!(repair(3, "00479"), "0479");
    assert_eq!(repair(3, "010"), "010");
    assert_eq!(repair(1, "71000"), "71000");
    let dat = write_phone_dat(
        b"2312",
        &["河北|保定|71000|0312", "内蒙古|锡林郭勒|152500|00479"],
        &[(1300000, 0, 1), (1300001, 1, 1)],
    );
    let table = NumberTable::from_bytes(&build_table(&dat).unwrap()).unwrap();
    let baoding = table
        .location(table.lookup_prefix(1300000).unwrap())
        .unwrap();
    assert_eq!((baoding.zip, baoding.area_code), ("071000", "0312"));
    assert_eq!(
        table
            .location(table.lookup_prefix(1300001).unwrap())
            .unwrap()
            .area_code,
        "0479"
    );
}

#[test]
fn garbage_is_refused_with_a_reason() {
    assert!(matches!(
        build_err(b"PK\x03\x04"),
        BuildError::TooShort { len: 4 }
    ));
    let html = b"<!DOCTYPE html><html><body>Not Found</body></html>";
    assert!(matches!(build_err(html), BuildError::BadIndexOffset { .. }));
    let msg = build_err(html).to_string();
    assert!(msg.contains("first-index offset"), "{msg}");
}

#[test]
fn a_truncated_index_is_refused() {
    let mut dat = tiny_phone_dat();
    dat.pop();
    assert!(matches!(build_err(&dat), BuildError::RaggedIndex { .. }));
}

#[test]
fn malformed_records_are_refused() {
    let dat = write_phone_dat(b"2312", &["北京|北京|100000"], &[(1380013, 0, 1)]);
    assert!(
        matches!(build_err(&dat), BuildError::BadRecord { reason, .. } if reason.contains("four"))
    );
    let mut dat = write_phone_dat(b"2312", &["北京|北京|100000|010"], &[(1380013, 0, 1)]);
    dat[8] = 0xff;
    assert!(
        matches!(build_err(&dat), BuildError::BadRecord { reason, .. } if reason.contains("UTF-8"))
    );
}

#[test]
fn bad_index_entries_are_refused() {
    type IndexEntry = (i32, usize, u8);
    let r = &["北京|北京|100000|010"][..];
    let cases: [(&[IndexEntry], &str); 4] = [
        (&[(138_001, 0, 1)], "seven-digit"),
        (&[(1380014, 0, 1), (1380013, 0, 1)], "out of order"),
        (&[(1380013, 0, 1), (1380013, 0, 1)], "repeated"),
        (&[(1380013, 0, 16)], "card type"),
    ];
    for (entries, reason) in cases {
        let err = build_err(&write_phone_dat(b"2312", r, entries)).to_string();
        assert!(err.contains(reason), "{err} should say {reason}");
    }
    let mut dat = write_phone_dat(b"2312", r, &[(1380013, 0, 1)]);
    let at = dat.len() - 5;
    dat[at..at + 4].copy_from_slice(&9i32.to_le_bytes());
    assert!(build_err(&dat).to_string().contains("no record start"));
}

#[test]
fn an_empty_index_or_record_section_is_refused() {
    assert_eq!(
        build_err(&write_phone_dat(b"2312", &["a|b|c|d"], &[])),
        BuildError::Empty("index entries")
    );
    let mut dat = b"2312".to_vec();
    dat.extend_from_slice(&8i32.to_le_bytes());
    dat.extend_from_slice(&[0; 9]);
    assert_eq!(build_err(&dat), BuildError::Empty("records"));
}
