//! Everything known locally about a number, in the shape of the HTTP API.

use serde::Serialize;

use crate::carrier::{Carrier, Network, NumberType};
use crate::entry::{Entry, Location};
use crate::error::ParseError;
use crate::parse::{ParsedNumber, parse_lenient};
use crate::segments::Segment;
use crate::table::NumberTable;

/// What `GET /v1/numbers/{number}` answers from local data.
///
/// Serialises to
/// `{"number","national","country","valid","location","carrier","type"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumberInfo {
    /// E.164, e.g. `+8613800138000`.
    pub number: String,
    /// National significant number, e.g. `13800138000`.
    pub national: String,
    /// ISO 3166 region, e.g. `CN`.
    pub country: &'static str,
    /// Always `true`: an invalid number is a [`ParseError`] instead.
    pub valid: bool,
    /// Where the number is registered: Chinese mobile numbers from the table,
    /// fixed lines from their area code; `null` otherwise.
    pub location: Option<Location>,
    /// Carrier and network of a Chinese mobile-range number; `null` otherwise.
    pub carrier: Option<CarrierInfo>,
    /// Mobile, fixed line, IoT, … .
    #[serde(rename = "type")]
    pub number_type: NumberType,
}

/// The `carrier` object: `{"code","name","network","segment"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct CarrierInfo {
    /// `cmcc`, `cucc`, `ctcc`, `cbn`; `null` for a segment held by someone
    /// else (Inmarsat 1749, the MIIT's emergency segments).
    pub code: Option<Carrier>,
    /// Chinese name, e.g. `中国移动`; `null` with `code`.
    pub name: Option<&'static str>,
    /// The kind of network.
    pub network: Network,
    /// The leading digits that decided, e.g. `138` or `1703`.
    pub segment: Segment,
}

impl CarrierInfo {
    /// Builds the object, taking the name from the carrier.
    pub fn new(code: Option<Carrier>, network: Network, segment: Segment) -> CarrierInfo {
        CarrierInfo {
            code,
            name: code.map(Carrier::name_zh),
            network,
            segment,
        }
    }
}

/// Parses `input` and tells everything the table and the allocation rules know.
///
/// Carrier and network come from the allocation rules; where no rule covers
/// an 11-digit number but the table has its prefix (a table newer than the
/// rules), from phone.dat's card type. A number neither knows is
/// `unallocated_segment`.
///
/// ```
/// use phoneguard_numbering::{NumberTable, lookup};
/// let info = lookup(NumberTable::embedded(), "13800138000").unwrap();
/// assert_eq!(info.location.unwrap().city, "北京");
/// assert_eq!(info.carrier.unwrap().network.as_str(), "mno");
/// ```
pub fn lookup(table: &NumberTable, input: &str) -> Result<NumberInfo, ParseError> {
    let r = resolve(table, input)?;
    Ok(NumberInfo {
        number: r.parsed.e164(),
        national: r.parsed.national().to_owned(),
        country: r.parsed.region(),
        valid: true,
        location: r.record.and_then(|id| table.record(id)).copied(),
        carrier: r.carrier,
        number_type: r.parsed.number_type(),
    })
}

/// What [`lookup`] finds, before any `String` is made: shared by [`lookup`]
/// and the row writers ([`NumberTable::write_json`], [`NumberTable::write_csv`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolved {
    /// The parsed number.
    pub(crate) parsed: ParsedNumber,
    /// The 1-based id of its location record, if it has one.
    pub(crate) record: Option<u16>,
    /// Its carrier, for a Chinese mobile-range number.
    pub(crate) carrier: Option<CarrierInfo>,
}

/// Parses `input` and finds its location record and carrier (see [`lookup`]).
pub(crate) fn resolve(table: &NumberTable, input: &str) -> Result<Resolved, ParseError> {
    let parsed = parse_lenient(input)?;
    let (record, carrier) = if parsed.is_cn_mobile_range() {
        mobile_details(table, &parsed)?
    } else {
        let area = parsed.area_code_digits();
        (area.and_then(|a| table.area_record(a)), None)
    };
    Ok(Resolved {
        parsed,
        record,
        carrier,
    })
}

fn mobile_details(
    table: &NumberTable,
    parsed: &ParsedNumber,
) -> Result<(Option<u16>, Option<CarrierInfo>), ParseError> {
    let national = parsed.national.as_bytes();
    let entry = table.lookup_cn_mobile(national);
    let record = entry
        .map(Entry::record_id)
        .filter(|&id| table.record(id).is_some());
    let carrier = match (parsed.segment, entry) {
        (Some(rule), _) => Some(CarrierInfo::new(rule.carrier, rule.network, rule.segment)),
        (None, Some(entry)) => {
            let card = entry.card_type();
            parsed
                .segment3()
                .map(|s| CarrierInfo::new(card.carrier(), card.network(), s))
        }
        (None, None) => match parsed.segment3() {
            Some(segment) => return Err(ParseError::UnallocatedSegment { segment }),
            None => None,
        },
    };
    Ok((record, carrier))
}
