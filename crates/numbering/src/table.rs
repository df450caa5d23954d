//! The compiled location table: seven-digit prefix → location and card type.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use crate::entry::{Entry, Location};
pub use crate::load::TableError;
use crate::rows::Rendered;

/// The table compiled from phone.dat and committed as `data/numbering.bin`.
static EMBEDDED_BYTES: &[u8] = include_bytes!("../../../data/numbering.bin");

static EMBEDDED: LazyLock<NumberTable> =
    LazyLock::new(|| match NumberTable::from_static(EMBEDDED_BYTES) {
        Ok(table) => table,
        // A test loads the committed file, so this cannot ship broken.
        Err(e) => panic!("data/numbering.bin is damaged: {e}"),
    });

/// Seven-digit prefix → [`Entry`] (location record + card type), loaded once
/// and shared read-only. A lookup is one array load.
pub struct NumberTable {
    pub(crate) index: Cow<'static, [u8]>,
    pub(crate) first_prefix: u32,
    pub(crate) span: u32,
    pub(crate) entries: u32,
    pub(crate) records: Vec<Location>,
    pub(crate) areas: HashMap<&'static str, u16>,
    pub(crate) source_version: [u8; 4],
    /// Row parts for [`write_json`](Self::write_json) and [`write_csv`](Self::write_csv), made on first use.
    pub(crate) rendered: OnceLock<Rendered>,
}

impl fmt::Debug for NumberTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NumberTable")
            .field("source_version", &self.source_version())
            .field("entries", &self.entries)
            .field("records", &self.records.len())
            .field("prefixes", &self.prefix_range())
            .finish_non_exhaustive()
    }
}

impl NumberTable {
    /// The table committed in `data/numbering.bin`, parsed on first use.
    pub fn embedded() -> &'static NumberTable {
        &EMBEDDED
    }

    /// Validates and loads a compiled table, copying its index.
    pub fn from_bytes(bytes: &[u8]) -> Result<NumberTable, TableError> {
        let (table, index) = Self::load(bytes)?;
        Ok(NumberTable {
            index: Cow::Owned(bytes[index].to_vec()),
            ..table
        })
    }

    /// Validates and loads a compiled table that lives for the whole process,
    /// without copying it.
    pub fn from_static(bytes: &'static [u8]) -> Result<NumberTable, TableError> {
        let (table, index) = Self::load(bytes)?;
        Ok(NumberTable {
            index: Cow::Borrowed(&bytes[index]),
            ..table
        })
    }

    /// The entry for an 11-digit ASCII number, e.g. `b"13800138000"`: the hot
    /// path, with no allocation, no UTF-8 decoding and one table load.
    /// `None` if it is not 11 ASCII digits or its prefix has no record.
    #[inline]
    pub fn lookup_cn_mobile(&self, digits: &[u8]) -> Option<Entry> {
        let digits: &[u8; 11] = digits.try_into().ok()?;
        let mut prefix = 0u32;
        let mut bad = false;
        for &c in &digits[..7] {
            let d = c.wrapping_sub(b'0');
            bad |= d > 9;
            prefix = prefix.wrapping_mul(10).wrapping_add(u32::from(d));
        }
        for &c in &digits[7..] {
            bad |= c.wrapping_sub(b'0') > 9;
        }
        if bad {
            None
        } else {
            self.lookup_prefix(prefix)
        }
    }

    /// The entry for a seven-digit prefix, e.g. `1380013`.
    #[inline]
    pub fn lookup_prefix(&self, prefix: u32) -> Option<Entry> {
        let offset = prefix.wrapping_sub(self.first_prefix);
        if offset >= self.span {
            return None;
        }
        let at = offset as usize * 2;
        let slot = self.index.get(at..at + 2)?;
        Entry::from_raw(u16::from_le_bytes([slot[0], slot[1]]))
    }

    /// The location an entry points at.
    #[inline]
    pub fn location(&self, entry: Entry) -> Option<&Location> {
        self.record(entry.record_id())
    }

    /// The location record with this 1-based id.
    #[inline]
    pub(crate) fn record(&self, id: u16) -> Option<&Location> {
        self.records.get(usize::from(id).checked_sub(1)?)
    }

    /// The 1-based id of the record [`location_for_area_code`](Self::location_for_area_code) answers.
    pub(crate) fn area_record(&self, area_code: &str) -> Option<u16> {
        let id = *self.areas.get(area_code.trim_start_matches('0'))?;
        self.record(id).map(|_| id)
    }

    /// The location of a Chinese long-distance area code, with or without its
    /// trunk 0 (`010`, `755`); where several cities share one, the one most
    /// mobile prefixes name.
    pub fn location_for_area_code(&self, area_code: &str) -> Option<&Location> {
        self.record(self.area_record(area_code)?)
    }

    /// Every prefix that has a record, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Entry)> + '_ {
        self.index
            .chunks_exact(2)
            .zip(self.first_prefix..)
            .filter_map(|(slot, prefix)| {
                Entry::from_raw(u16::from_le_bytes([slot[0], slot[1]])).map(|e| (prefix, e))
            })
    }

    /// How many prefixes have a record (499,527 for phone.dat 2023-12).
    pub fn len(&self) -> usize {
        self.entries as usize
    }

    /// Whether no prefix has a record.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The distinct locations, by record id − 1.
    pub fn records(&self) -> &[Location] {
        &self.records
    }

    /// The prefixes the index covers.
    pub fn prefix_range(&self) -> Range<u32> {
        self.first_prefix..self.first_prefix + self.span
    }

    /// The version of the source data, e.g. `2312` (phone.dat's header).
    pub fn source_version(&self) -> &str {
        std::str::from_utf8(&self.source_version).unwrap_or("????")
    }

    /// Bytes of memory the index occupies (the records add a few KiB).
    pub fn index_bytes(&self) -> usize {
        self.index.len()
    }
}
