//! The compiled table: loading, validating, the embedded copy, lookups.

use phoneguard_numbering::{
    CardType, Carrier, Location, Network, NumberTable, TableError, build_table,
};

use crate::support::tiny_phone_dat;

fn tiny_table_bytes() -> Vec<u8> {
    build_table(&tiny_phone_dat()).unwrap()
}

#[test]
fn the_embedded_table_knows_13800138000_is_beijing_china_mobile() {
    let table = NumberTable::embedded();
    let entry = table
        .lookup_cn_mobile(b"13800138000")
        .expect("1380013 is in phone.dat");
    let beijing = Location {
        province: "北京",
        city: "北京",
        area_code: "010",
        zip: "100000",
    };
    assert_eq!(table.location(entry), Some(&beijing));
    assert_eq!(entry.card_type().carrier(), Some(Carrier::Cmcc));
    assert_eq!(entry.card_type().network(), Network::Mno);
    assert_eq!(entry.card_type().label_zh(), Some("移动"));
}

#[test]
fn the_embedded_table_is_phone_dat_2312_with_every_prefix_and_small() {
    let table = NumberTable::embedded();
    assert_eq!(table.source_version(), "2312");
    assert_eq!(table.len(), 499_527);
    assert_eq!(table.records().len(), 377);
    assert!(
        table.index_bytes() <= 4 << 20,
        "{} bytes of index",
        table.index_bytes()
    );
    // The upstream package's own test case.
    let hengyang = table
        .location(table.lookup_prefix(1_521_147).unwrap())
        .unwrap();
    assert_eq!(
        (hengyang.city, hengyang.zip, hengyang.area_code),
        ("衡阳", "421000", "0734")
    );
    assert_eq!(table.lookup_prefix(1_991_147), None);
}

#[test]
fn lookup_cn_mobile_wants_exactly_eleven_ascii_digits() {
    let table = NumberTable::from_bytes(&tiny_table_bytes()).unwrap();
    assert!(table.lookup_cn_mobile(b"13800138000").is_some());
    for bad in [
        &b"1380013800"[..],
        b"138001380000",
        b"1380013800a",
        b"13800\x0038000",
        b"",
        b"\xff\xff",
    ] {
        assert_eq!(table.lookup_cn_mobile(bad), None, "{bad:?}");
    }
    assert_eq!(
        table.lookup_cn_mobile(b"13800000000"),
        None,
        "1380000 is not in the tiny table"
    );
    assert_eq!(table.lookup_prefix(0), None);
    assert_eq!(table.lookup_prefix(u32::MAX), None);
}

#[test]
fn area_codes_map_to_the_city_most_prefixes_name() {
    let table = NumberTable::from_bytes(&tiny_table_bytes()).unwrap();
    // 0879 is 思茅 for one prefix and 普洱 (its newer name) for two.
    assert_eq!(table.location_for_area_code("0879").unwrap().city, "普洱");
    assert_eq!(table.location_for_area_code("755").unwrap().city, "深圳");
    assert_eq!(
        table.location_for_area_code("010").unwrap().province,
        "北京"
    );
    assert_eq!(table.location_for_area_code("0999"), None);
    assert_eq!(
        NumberTable::embedded()
            .location_for_area_code("0879")
            .unwrap()
            .city,
        "普洱"
    );
}

#[test]
fn iter_yields_every_present_prefix_in_order() {
    let table = NumberTable::from_bytes(&tiny_table_bytes()).unwrap();
    let prefixes: Vec<u32> = table.iter().map(|(p, _)| p).collect();
    assert_eq!(
        prefixes,
        [
            1300000, 1300001, 1380013, 1390000, 1390001, 1390002, 1541183, 1620000, 1999999
        ]
    );
    let (_, last) = table.iter().last().unwrap();
    assert_eq!(last.card_type(), CardType::new(7).unwrap());
}

#[test]
fn damaged_tables_are_refused() {
    let good = tiny_table_bytes();
    let check = |bytes: &[u8]| NumberTable::from_bytes(bytes).expect_err("must be refused");

    assert!(matches!(check(&good[..20]), TableError::Truncated { .. }));
    assert!(matches!(
        check(&good[..good.len() - 2]),
        TableError::Truncated { .. }
    ));
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(check(&longer), TableError::TrailingBytes { extra: 1 });

    let mut magic = good.clone();
    magic[0] = b'X';
    assert_eq!(check(&magic), TableError::BadMagic);

    let mut version = good.clone();
    version[8] = 9;
    assert_eq!(check(&version), TableError::UnsupportedVersion(9));

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    assert!(matches!(check(&flipped), TableError::Checksum { .. }));
    assert!(check(&flipped).to_string().contains("damaged"));
}

#[test]
fn a_slot_naming_a_missing_record_is_refused_even_with_a_good_checksum() {
    let mut bytes = tiny_table_bytes();
    let last = bytes.len() - 2;
    bytes[last..].copy_from_slice(&0x0fffu16.to_le_bytes());
    // Recompute the FNV-1a checksum over the body so only the slot is wrong.
    let mut hash: u32 = 0x811c_9dc5;
    for &b in &bytes[40..] {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    bytes[36..40].copy_from_slice(&hash.to_le_bytes());
    let err = NumberTable::from_bytes(&bytes).unwrap_err();
    assert_eq!(
        err,
        TableError::BadSlot {
            prefix: 1_999_999,
            record: 0x0fff,
            records: 4
        }
    );
}

#[test]
fn loading_the_same_table_twice_shares_its_strings() {
    let bytes = tiny_table_bytes();
    let a = NumberTable::from_bytes(&bytes).unwrap();
    let b = NumberTable::from_bytes(&bytes).unwrap();
    assert!(std::ptr::eq(
        a.records()[0].province,
        b.records()[0].province
    ));
}
