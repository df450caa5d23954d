//! Loading a compiled table: every field checked before anything is trusted.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use thiserror::Error;

use crate::entry::{Entry, Location};
use crate::format::{self, HEADER_LEN, MAGIC, MAX_RECORDS, VERSION, read_u32};
use crate::intern::intern;
use crate::table::NumberTable;

/// Why bytes are not a valid compiled table.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TableError {
    /// The file is shorter than its header says.
    #[error("table is truncated: {len} bytes where {needed} are needed")]
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        needed: usize,
    },
    /// Not a phoneguard number table.
    #[error("not a phoneguard number table (bad magic bytes)")]
    BadMagic,
    /// Written by another version of this format.
    #[error("table format version {0} is not supported (this build reads version {VERSION})")]
    UnsupportedVersion(u32),
    /// Bytes after the index.
    #[error("table has {extra} bytes after its index")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The checksum does not match: the file is damaged.
    #[error(
        "table checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is damaged"
    )]
    Checksum {
        /// From the header.
        stored: u32,
        /// Of the bytes.
        computed: u32,
    },
    /// A record is not four UTF-8 fields, or there are too many records.
    #[error("table record {id} is malformed: {reason}")]
    BadRecord {
        /// The 1-based record id.
        id: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// An index slot names a record that does not exist.
    #[error("index slot for prefix {prefix} names record {record}, but the table has {records}")]
    BadSlot {
        /// The seven-digit prefix.
        prefix: u32,
        /// The record id in the slot.
        record: u16,
        /// Records in the table.
        records: usize,
    },
    /// The header's counts or prefix range disagree with the contents.
    #[error("table header is inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl NumberTable {
    /// Checks everything and builds the table, except for the index storage
    /// whose byte range is returned.
    pub(crate) fn load(bytes: &[u8]) -> Result<(NumberTable, Range<usize>), TableError> {
        let truncated = |needed| TableError::Truncated {
            len: bytes.len(),
            needed,
        };
        if bytes.len() < HEADER_LEN {
            return Err(truncated(HEADER_LEN));
        }
        if &bytes[..8] != MAGIC {
            return Err(TableError::BadMagic);
        }
        let field = |at| read_u32(bytes, at).unwrap_or(0);
        if field(8) != VERSION {
            return Err(TableError::UnsupportedVersion(field(8)));
        }
        let [
            record_count,
            entries,
            first_prefix,
            span,
            records_len,
            stored,
        ] = [16, 20, 24, 28, 32, 36].map(field);
        let records_end = HEADER_LEN + records_len as usize;
        let end = records_end + 2 * span as usize;
        if bytes.len() < end {
            return Err(truncated(end));
        }
        if bytes.len() > end {
            return Err(TableError::TrailingBytes {
                extra: bytes.len() - end,
            });
        }
        let computed = format::fnv1a(&bytes[HEADER_LEN..]);
        if computed != stored {
            return Err(TableError::Checksum { stored, computed });
        }
        if record_count as usize > MAX_RECORDS {
            return Err(TableError::Inconsistent(
                "more records than an index slot can name",
            ));
        }
        let last = u64::from(first_prefix) + u64::from(span);
        if span == 0 || !format::PREFIXES.contains(&first_prefix) || last > 2_000_000 {
            return Err(TableError::Inconsistent(
                "prefix range outside 1000000..=1999999",
            ));
        }
        let records = read_records(&bytes[HEADER_LEN..records_end], record_count as usize)?;
        let index = records_end..end;
        let mut uses = vec![0u32; records.len() + 1];
        let mut present = 0u32;
        for (slot, prefix) in bytes[index.clone()].chunks_exact(2).zip(first_prefix..) {
            let raw = u16::from_le_bytes([slot[0], slot[1]]);
            if raw == 0 {
                continue;
            }
            let record = Entry::from_raw(raw).map_or(0, Entry::record_id);
            let records_len = records.len();
            let used = uses.get_mut(usize::from(record)).filter(|_| record != 0);
            *used.ok_or(TableError::BadSlot {
                prefix,
                record,
                records: records_len,
            })? += 1;
            present += 1;
        }
        if present != entries {
            return Err(TableError::Inconsistent(
                "entry count differs from the index",
            ));
        }
        let mut source_version = [0; 4];
        source_version.copy_from_slice(&bytes[12..16]);
        let areas = area_map(&records, &uses);
        let table = NumberTable {
            index: Cow::Borrowed(&[]),
            first_prefix,
            span,
            entries,
            records,
            areas,
            source_version,
            rendered: OnceLock::new(),
        };
        Ok((table, index))
    }
}

/// Reads `count` records of four length-prefixed UTF-8 fields, exactly filling `bytes`.
fn read_records(mut bytes: &[u8], count: usize) -> Result<Vec<Location>, TableError> {
    let mut records = Vec::with_capacity(count);
    for id in 1..=count {
        let mut fields = [""; 4];
        for field in &mut fields {
            let bad = |reason| TableError::BadRecord { id, reason };
            let (&len, rest) = bytes
                .split_first()
                .ok_or(bad("the record section ends early"))?;
            let text = rest
                .get(..usize::from(len))
                .ok_or(bad("a field runs past the section"))?;
            *field = intern(std::str::from_utf8(text).map_err(|_| bad("a field is not UTF-8"))?);
            bytes = &rest[usize::from(len)..];
        }
        let [province, city, zip, area_code] = fields;
        records.push(Location {
            province,
            city,
            area_code,
            zip,
        });
    }
    if !bytes.is_empty() {
        return Err(TableError::Inconsistent("bytes left after the last record"));
    }
    Ok(records)
}

/// Area code without trunk 0 → the record most prefixes name (lowest id on a tie).
fn area_map(records: &[Location], uses: &[u32]) -> HashMap<&'static str, u16> {
    let mut best: HashMap<&'static str, (u32, u16)> = HashMap::new();
    for (i, loc) in records.iter().enumerate() {
        let id = (i + 1) as u16;
        let count = uses.get(i + 1).copied().unwrap_or(0);
        let key = loc.area_code.trim_start_matches('0');
        if key.is_empty() {
            continue;
        }
        let slot = best.entry(key).or_insert((count, id));
        if count > slot.0 {
            *slot = (count, id);
        }
    }
    best.into_iter().map(|(k, (_, id))| (k, id)).collect()
}
