//! One test per allocation rule: each says which prefixes belong to whom.

use phoneguard_numbering::segments::RULES;
use phoneguard_numbering::{Carrier, Network, classify};

/// Checks that an 11-digit number starting with `prefix` is `carrier` on
/// `network` and that `prefix` is the segment that decided it.
#[track_caller]
fn assert_segments(prefixes: &[&str], carrier: Option<Carrier>, network: Network) {
    for prefix in prefixes {
        let number = format!("{prefix:0<11}");
        let info = classify(number.as_bytes()).unwrap_or_else(|| panic!("{prefix} is allocated"));
        assert_eq!((info.carrier, info.network), (carrier, network), "{prefix}");
        assert_eq!(info.segment.as_str(), *prefix, "segment of {prefix}");
    }
}

#[test]
fn china_mobile_own_segments() {
    let cmcc = [
        "134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "172",
        "178", "182", "183", "184", "187", "188", "195", "197", "198",
    ];
    assert_segments(&cmcc, Some(Carrier::Cmcc), Network::Mno);
}

#[test]
fn china_unicom_own_segments() {
    let cucc = [
        "130", "131", "132", "155", "156", "166", "175", "176", "185", "186", "196",
    ];
    assert_segments(&cucc, Some(Carrier::Cucc), Network::Mno);
}

#[test]
fn china_telecom_own_segments() {
    let ctcc = [
        "133", "153", "173", "177", "180", "181", "189", "190", "191", "193", "199",
    ];
    assert_segments(&ctcc, Some(Carrier::Ctcc), Network::Mno);
}

#[test]
fn china_broadnet_holds_192_and_since_2026_1610() {
    assert_segments(&["192", "1610"], Some(Carrier::Cbn), Network::Mno);
    assert_eq!(
        classify(b"16110000000"),
        None,
        "only 1610 of 161 is Broadnet's"
    );
}

#[test]
fn china_telecom_resold_segments_are_mvno() {
    assert_segments(
        &["162", "1700", "1701", "1702"],
        Some(Carrier::Ctcc),
        Network::Mvno,
    );
}

#[test]
fn china_mobile_resold_segments_are_mvno() {
    assert_segments(
        &["165", "1703", "1705", "1706"],
        Some(Carrier::Cmcc),
        Network::Mvno,
    );
}

#[test]
fn china_unicom_resold_segments_are_mvno() {
    assert_segments(
        &["167", "1704", "1707", "1708", "1709", "171"],
        Some(Carrier::Cucc),
        Network::Mvno,
    );
}

#[test]
fn data_only_segments_145_147_149() {
    assert_segments(&["145"], Some(Carrier::Cucc), Network::DataOnly);
    assert_segments(&["147"], Some(Carrier::Cmcc), Network::DataOnly);
    assert_segments(&["149"], Some(Carrier::Ctcc), Network::DataOnly);
}

#[test]
fn iot_segments_and_their_thirteen_digits() {
    assert_segments(&["1410"], Some(Carrier::Ctcc), Network::Iot);
    assert_segments(&["1440", "1441", "148"], Some(Carrier::Cmcc), Network::Iot);
    assert_segments(&["146"], Some(Carrier::Cucc), Network::Iot);
    let iot = classify(b"1410123456789").unwrap();
    assert!(iot.allows_len(13) && iot.allows_len(11) && !iot.allows_len(12));
    assert!(!classify(b"13800138000").unwrap().allows_len(13));
    assert_eq!(classify(b"14110000000"), None);
    assert_eq!(classify(b"14420000000"), None);
}

#[test]
fn satellite_segments_1349_17400_to_17405_and_1749() {
    let tiantong = ["1349", "17400", "17401", "17402", "17403", "17404", "17405"];
    assert_segments(&tiantong, Some(Carrier::Ctcc), Network::Satellite);
    assert_segments(&["1749"], None, Network::Satellite);
    // 1340–1348 stay China Mobile's.
    assert_segments(&["134"], Some(Carrier::Cmcc), Network::Mno);
    assert_eq!(
        classify(b"13489999999").unwrap().carrier,
        Some(Carrier::Cmcc)
    );
}

#[test]
fn emergency_segments_17406_to_17412() {
    let emergency = [
        "17406", "17407", "17408", "17409", "17410", "17411", "17412",
    ];
    assert_segments(&emergency, None, Network::Emergency);
    assert_eq!(classify(b"17413000000"), None);
    assert_eq!(classify(b"17420000000"), None);
}

#[test]
fn unallocated_segments_have_no_rule() {
    for prefix in [
        "100", "110", "120", "125", "140", "142", "143", "154", "160", "163", "164", "168", "169",
        "179", "194",
    ] {
        let number = format!("{prefix:0<11}");
        assert_eq!(classify(number.as_bytes()), None, "{prefix}");
    }
}

#[test]
fn classify_refuses_what_is_not_a_mobile_range_number() {
    for bad in [
        &b""[..],
        b"1380",
        b"23800138000",
        b"13a00138000",
        b"\xff3800138000",
    ] {
        assert_eq!(classify(bad), None, "{bad:?}");
    }
}

#[test]
fn every_rule_prefix_decides_its_own_numbers() {
    for rule in RULES {
        assert_segments(rule.prefixes, rule.carrier, rule.network);
        assert!(!rule.holder.is_empty());
    }
}

#[test]
fn every_seven_digit_prefix_of_phone_dat_in_a_rule_gets_the_rules_carrier() {
    // Where phone.dat and the rules disagree the rules win; report how often.
    let table = phoneguard_numbering::NumberTable::embedded();
    let (mut covered, mut differ) = (0, 0);
    for (prefix, entry) in table.iter() {
        let number = format!("{prefix}0000");
        if let Some(info) = classify(number.as_bytes()) {
            covered += 1;
            differ += usize::from(info.carrier != entry.card_type().carrier());
        }
    }
    assert!(
        covered > 499_000,
        "{covered} of phone.dat's prefixes are in a rule"
    );
    assert!(
        differ < 2_000,
        "{differ} prefixes where phone.dat names another carrier"
    );
}
