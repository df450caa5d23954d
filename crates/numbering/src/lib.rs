//! Phone number parsing and the local number-segment table of phoneguard.
//!
//! Pure: no I/O, no async. What it knows about a number without asking anyone:
//!
//! - [`parse`] reads every usual way of writing a number (Chinese mobile and
//!   fixed-line numbers, any E.164 number) and says why it refuses one
//!   ([`ParseError::code`]). International numbers are validated and typed
//!   with libphonenumber's metadata; Chinese mobile numbers with the national
//!   allocation in [`segments`], never with libphonenumber.
//! - [`NumberTable`] maps the first seven digits of a Chinese mobile number to
//!   where it is registered, compiled from `phone.dat` ([`build_table`]) and
//!   embedded from `data/numbering.bin` ([`NumberTable::embedded`]).
//! - [`lookup`] puts both together as [`NumberInfo`], the shape of
//!   `GET /v1/numbers/{number}`; [`mask`] writes a number for logs.
//!
//! ```
//! use phoneguard_numbering::{NumberTable, lookup, mask};
//!
//! let info = lookup(NumberTable::embedded(), "+86 138-0013-8000").unwrap();
//! assert_eq!(info.number, "+8613800138000");
//! assert_eq!(info.carrier.unwrap().code.unwrap().code(), "cmcc");
//! assert_eq!(mask("13800138000"), "138****8000");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod build;
mod card;
mod carrier;
mod digits;
mod entry;
mod error;
mod format;
mod info;
mod intern;
mod intl;
mod json;
mod load;
mod mask;
mod normalize;
mod parse;
mod rows;
pub mod segments;
mod table;

pub use build::{BuildError, build_table, repair};
pub use card::CardType;
pub use carrier::{Carrier, Network, NumberType};
pub use entry::{Entry, Location};
pub use error::ParseError;
pub use info::{CarrierInfo, NumberInfo, lookup};
pub use mask::mask;
pub use parse::{ParsedNumber, parse};
pub use rows::csv_field;
pub use segments::{Segment, SegmentInfo, classify};
pub use table::{NumberTable, TableError};

/// Loads the embedded table (~2 ms) and libphonenumber's metadata (~70 ms)
/// now instead of on first use; call it once at start, e.g. from a
/// background thread, so the first request does not pay for it.
pub fn preload() {
    let _ = NumberTable::embedded();
    intl::preload();
}

/// The longest input [`parse`] looks at, in characters; longer is `too_long`.
pub const MAX_INPUT_CHARS: usize = normalize::MAX_CHARS;
