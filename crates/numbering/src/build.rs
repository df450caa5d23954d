//! Compiling `phone.dat` (PyPI package `phone`) into the table format.
//!
//! phone.dat, as read by the package's own `phone.py`:
//! a header `<4si` (version, 4 bytes; offset of the first index entry, i32),
//! then records `province|city|zip|area_code\0` from byte 8 up to that offset,
//! then index entries `<iiB` of 9 bytes (seven-digit prefix, i32; offset of
//! its record, i32; card type, u8), sorted by prefix for a binary search.
//!
//! Records are copied as they are, but for the two repairs of [`repair`].

use std::borrow::Cow;

use thiserror::Error;

use crate::card::CardType;
use crate::entry::Entry;
use crate::format::{self, HEADER_LEN, MAGIC, MAX_RECORDS, VERSION, read_i32};

/// Why bytes are not a usable `phone.dat`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Shorter than the 8-byte header.
    #[error("not a phone.dat: {len} bytes, shorter than its 8-byte header")]
    TooShort {
        /// Bytes present.
        len: usize,
    },
    /// The first-index offset points outside the file or into the header.
    #[error("not a phone.dat: first-index offset {offset} is outside 8..={len}")]
    BadIndexOffset {
        /// The offset from the header.
        offset: i64,
        /// File length.
        len: usize,
    },
    /// The index is not a whole number of 9-byte entries.
    #[error("not a phone.dat: the index has {len} bytes, not a multiple of 9")]
    RaggedIndex {
        /// Bytes in the index section.
        len: usize,
    },
    /// No records or no index entries.
    #[error("not a phone.dat: it has no {0}")]
    Empty(&'static str),
    /// A record is not `province|city|zip|area_code` in UTF-8.
    #[error("phone.dat record at byte {offset} is malformed: {reason}")]
    BadRecord {
        /// Where the record starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// More distinct records than the table can address.
    #[error("phone.dat has {count} records; the table holds at most {max}")]
    TooManyRecords {
        /// Records found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An index entry is unusable.
    #[error("phone.dat index entry {entry} (prefix {prefix}) {reason}")]
    BadEntry {
        /// 0-based position in the index.
        entry: usize,
        /// Its prefix.
        prefix: i64,
        /// What is wrong.
        reason: &'static str,
    },
}

/// Compiles a `phone.dat` into the table format that
/// [`NumberTable::from_bytes`](crate::NumberTable::from_bytes) reads.
///
/// Accepts any file of that format (newer forks with more prefixes
/// included); refuses anything else with an error that says what is wrong.
pub fn build_table(phone_dat: &[u8]) -> Result<Vec<u8>, BuildError> {
    let len = phone_dat.len();
    if len < 8 {
        return Err(BuildError::TooShort { len });
    }
    let first_index = read_i32(phone_dat, 4).map_or(-1, i64::from);
    if first_index < 8 || first_index > len as i64 {
        return Err(BuildError::BadIndexOffset {
            offset: first_index,
            len,
        });
    }
    let first_index = first_index as usize;
    let (starts, records) = read_records(&phone_dat[8..first_index])?;
    let index = &phone_dat[first_index..];
    if !index.len().is_multiple_of(9) {
        return Err(BuildError::RaggedIndex { len: index.len() });
    }
    if index.is_empty() {
        return Err(BuildError::Empty("index entries"));
    }
    let mut slots: Vec<(u32, u16)> = Vec::with_capacity(index.len() / 9);
    for (entry, raw) in index.chunks_exact(9).enumerate() {
        let prefix = read_i32(raw, 0).map_or(-1, i64::from);
        let bad = |reason| BuildError::BadEntry {
            entry,
            prefix,
            reason,
        };
        if !(1_000_000..=1_999_999).contains(&prefix) {
            return Err(bad("is not a seven-digit prefix starting with 1"));
        }
        if slots
            .last()
            .is_some_and(|&(last, _)| i64::from(last) >= prefix)
        {
            return Err(bad("is out of order or repeated"));
        }
        let offset = read_i32(raw, 4).map_or(-1, i64::from) - 8;
        let record = usize::try_from(offset)
            .ok()
            .and_then(|o| starts.binary_search(&o).ok());
        let record = record.ok_or(bad("points at no record start"))?;
        let card = CardType::new(raw[8]).ok_or(bad("has a card type above 15"))?;
        let entry = Entry::new(record as u16 + 1, card).ok_or(bad("cannot be packed"))?;
        slots.push((prefix as u32, entry.raw()));
    }
    let version: [u8; 4] = [phone_dat[0], phone_dat[1], phone_dat[2], phone_dat[3]];
    Ok(write_table(version, starts.len(), &records, &slots))
}

/// Splits the record section at its NULs; returns each record's start and its
/// four fields encoded for the table.
fn read_records(section: &[u8]) -> Result<(Vec<usize>, Vec<u8>), BuildError> {
    let mut starts = Vec::new();
    let mut encoded = Vec::new();
    let mut at = 0;
    while at < section.len() {
        let bad = |reason| BuildError::BadRecord {
            offset: at + 8,
            reason,
        };
        let len = section[at..]
            .iter()
            .position(|&b| b == 0)
            .ok_or(bad("has no terminating NUL"))?;
        let text = std::str::from_utf8(&section[at..at + len]).map_err(|_| bad("is not UTF-8"))?;
        let fields: Vec<&str> = text.split('|').collect();
        if fields.len() != 4 {
            return Err(bad("does not have four |-separated fields"));
        }
        for (i, field) in fields.into_iter().enumerate() {
            let field = repair(i, field);
            let flen = u8::try_from(field.len()).map_err(|_| bad("has a field over 255 bytes"))?;
            encoded.push(flen);
            encoded.extend_from_slice(field.as_bytes());
        }
        starts.push(at);
        at += len + 1;
    }
    if starts.is_empty() {
        return Err(BuildError::Empty("records"));
    }
    if starts.len() > MAX_RECORDS {
        return Err(BuildError::TooManyRecords {
            count: starts.len(),
            max: MAX_RECORDS,
        });
    }
    Ok((starts, encoded))
}

/// Undoes two known defects of phone.dat, which stored some fields as
/// integers: postal codes of Hebei, Shanxi and Inner Mongolia lost their
/// leading 0 (`71000` for 保定's `071000`), and one area code gained one
/// (`00479`). Everything else is kept as it is.
pub fn repair(field: usize, text: &str) -> Cow<'_, str> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match field {
        ZIP if digits && text.len() == 5 => Cow::Owned(format!("0{text}")),
        AREA_CODE if digits && text.starts_with("00") => Cow::Borrowed(&text[1..]),
        _ => Cow::Borrowed(text),
    }
}

/// Field positions in a record: province, city, zip, area code.
const ZIP: usize = 2;
const AREA_CODE: usize = 3;

/// Lays out header, records and the direct index (see [`crate::format`]).
fn write_table(
    version: [u8; 4],
    record_count: usize,
    records: &[u8],
    slots: &[(u32, u16)],
) -> Vec<u8> {
    let first = slots.first().map_or(0, |s| s.0);
    let last = slots.last().map_or(0, |s| s.0);
    let span = (last - first + 1) as usize;
    let mut index = vec![0u8; span * 2];
    for &(prefix, raw) in slots {
        let at = (prefix - first) as usize * 2;
        index[at..at + 2].copy_from_slice(&raw.to_le_bytes());
    }
    let mut body = Vec::with_capacity(records.len() + index.len());
    body.extend_from_slice(records);
    body.extend_from_slice(&index);

    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    for word in [VERSION, u32::from_le_bytes(version)] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    let header = [
        record_count,
        slots.len(),
        first as usize,
        span,
        records.len(),
    ];
    for value in header {
        out.extend_from_slice(&(value as u32).to_le_bytes());
    }
    out.extend_from_slice(&format::fnv1a(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}
