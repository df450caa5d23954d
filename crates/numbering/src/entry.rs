//! What the table holds for one prefix: a location and phone.dat's card type.

use std::num::NonZeroU16;

use serde::Serialize;

use crate::card::CardType;
use crate::format::RECORD_BITS;

/// Where a number is registered (归属地).
///
/// The strings live for the whole process (see the table loader), so a
/// `Location` is `Copy` and can outlive the table it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// Province, e.g. `广东`.
    pub province: &'static str,
    /// City, e.g. `深圳`.
    pub city: &'static str,
    /// Long-distance area code with its trunk 0, e.g. `0755`.
    pub area_code: &'static str,
    /// Postal code, e.g. `518000`.
    pub zip: &'static str,
}

/// One slot of the index: a record id and phone.dat's card type, packed in 16 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry(NonZeroU16);

impl Entry {
    /// Wraps a raw slot; `None` for an empty slot (0) or one without a record id.
    pub fn from_raw(raw: u16) -> Option<Entry> {
        let entry = Entry(NonZeroU16::new(raw)?);
        (entry.record_id() != 0).then_some(entry)
    }

    /// Packs a record id (1..=4095) and a card type.
    pub fn new(record_id: u16, card: CardType) -> Option<Entry> {
        if record_id >= 1 << RECORD_BITS {
            return None;
        }
        Entry::from_raw(u16::from(card.raw()) << RECORD_BITS | record_id)
    }

    /// The 16-bit slot as stored.
    pub fn raw(self) -> u16 {
        self.0.get()
    }

    /// The record id, 1-based.
    pub fn record_id(self) -> u16 {
        self.0.get() & ((1 << RECORD_BITS) - 1)
    }

    /// The card type phone.dat gives this prefix.
    pub fn card_type(self) -> CardType {
        CardType::from_nibble((self.0.get() >> RECORD_BITS) as u8)
    }
}
