//! The layout of `data/numbering.bin`, shared by the builder and the loader.
//!
//! All integers are little-endian.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `PGNUMTBL` |
//! | 8 | 4 | format version (1) |
//! | 12 | 4 | source version, e.g. `2312` (phone.dat's header) |
//! | 16 | 4 | record count R (at most 4095) |
//! | 20 | 4 | entry count: prefixes that have a record |
//! | 24 | 4 | first prefix P0 (seven digits, e.g. 1300000) |
//! | 28 | 4 | span N: the index covers P0 ..= P0 + N − 1 |
//! | 32 | 4 | length of the record section in bytes |
//! | 36 | 4 | FNV-1a 32 of every byte after the header |
//! | 40 | … | records 1..=R, each four fields (province, city, zip, area code), each a length byte then UTF-8 |
//! | … | 2·N | the index: one `u16` per prefix, `0` = none, else `card_type << 12 \| record_id` |
//!
//! A lookup is: seven leading digits → `prefix − P0` → one `u16` load.

/// First bytes of every table.
pub(crate) const MAGIC: &[u8; 8] = b"PGNUMTBL";
/// The format version this crate writes and reads.
pub(crate) const VERSION: u32 = 1;
/// Size of the fixed header.
pub(crate) const HEADER_LEN: usize = 40;
/// Record ids take the low 12 bits of an index slot.
pub(crate) const MAX_RECORDS: usize = 0x0fff;
/// Bits of the record id in an index slot.
pub(crate) const RECORD_BITS: u32 = 12;
/// The smallest and largest seven-digit prefix of a Chinese mobile-range number.
pub(crate) const PREFIXES: std::ops::RangeInclusive<u32> = 1_000_000..=1_999_999;

/// FNV-1a, 32 bits: enough to tell a damaged or truncated file.
pub(crate) fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Reads a little-endian `u32` at `at`, if the bytes are there.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a little-endian `i32` at `at`, if the bytes are there.
pub(crate) fn read_i32(bytes: &[u8], at: usize) -> Option<i32> {
    read_u32(bytes, at).map(|v| v as i32)
}
