//! Writing and reading phone.dat the plain way, independently of the crate.

use std::collections::BTreeMap;

/// Writes a phone.dat: header `<4si`, NUL-terminated records, `<iiB` entries
/// of (prefix, index into `records`, card type).
pub fn write_phone_dat(
    version: &[u8; 4],
    records: &[&str],
    entries: &[(i32, usize, u8)],
) -> Vec<u8> {
    let mut body = Vec::new();
    let mut offsets = Vec::new();
    for r in records {
        offsets.push(8 + body.len() as i32);
        body.extend_from_slice(r.as_bytes());
        body.push(0);
    }
    let mut out = version.to_vec();
    out.extend_from_slice(&(8 + body.len() as i32).to_le_bytes());
    out.extend_from_slice(&body);
    for &(prefix, record, card) in entries {
        out.extend_from_slice(&prefix.to_le_bytes());
        out.extend_from_slice(&offsets[record].to_le_bytes());
        out.push(card);
    }
    out
}

/// Reads a phone.dat the way `phone.py` does, into prefix → (record text, card type).
pub fn read_phone_dat(dat: &[u8]) -> BTreeMap<u32, (String, u8)> {
    let i32_at = |at: usize| i32::from_le_bytes(dat[at..at + 4].try_into().unwrap());
    let first = i32_at(4) as usize;
    let mut out = BTreeMap::new();
    for at in (first..dat.len()).step_by(9) {
        let offset = i32_at(at + 4) as usize;
        let end = offset + dat[offset..].iter().position(|&b| b == 0).unwrap();
        let record = String::from_utf8(dat[offset..end].to_vec()).unwrap();
        out.insert(i32_at(at) as u32, (record, dat[at + 8]));
    }
    out
}

/// The small synthetic phone.dat most tests use.
pub fn tiny_phone_dat() -> Vec<u8> {
    let records = [
        "北京|北京|100000|010",
        "广东|深圳|518000|0755",
        "云南|思茅|665000|0879",
        "云南|普洱|665000|0879",
    ];
    let entries = [
        (1300000, 1, 2),
        (1300001, 1, 2),
        (1380013, 0, 1),
        (1390000, 2, 1),
        (1390001, 3, 1),
        (1390002, 3, 1),
        (1541183, 0, 3),
        (1620000, 1, 3),
        (1999999, 0, 7),
    ];
    write_phone_dat(b"2401", &records, &entries)
}

/// The real phone.dat, if `PHONE_DAT` names it.
pub fn real_phone_dat() -> Option<Vec<u8>> {
    let path = std::env::var_os("PHONE_DAT")?;
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("PHONE_DAT={path:?}: {e}")))
}
