//! Lookups written straight into a byte buffer as JSON or CSV (`lookup
//! --file`, `GET /v1/numbers/{n}`), without building a
//! [`NumberInfo`](crate::NumberInfo) and its `String`s.
//!
//! What repeats from row to row, each location record and each carrier and
//! network, is rendered once, on a table's first such write; a row is then a
//! few slice copies around the number's digits. A JSON row is byte for byte what
//! [`NumberInfo::write_json`](crate::NumberInfo::write_json) and serde_json
//! write for the same number (tests check).

use crate::carrier::{Carrier, Network};
use crate::entry::Location;
use crate::error::ParseError;
use crate::info::{Resolved, resolve};
use crate::json::{carrier_head, string, write_location};
use crate::table::NumberTable;

/// Every network kind, in declaration order (`Network as usize`).
const NETWORKS: [Network; 7] = [
    Network::Mno,
    Network::Mvno,
    Network::Iot,
    Network::Satellite,
    Network::DataOnly,
    Network::Emergency,
    Network::Unknown,
];

/// The parts of rows that repeat, rendered once per table.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// `{"province":…,"zip":…}` by record id − 1.
    json_locations: Vec<Box<[u8]>>,
    /// `province,city,area_code,zip` (each field CSV-quoted) by record id − 1.
    csv_locations: Vec<Box<[u8]>>,
    /// `{"code":…,"network":…,"segment":"` by [`carrier_slot`].
    json_carriers: Vec<Box<[u8]>>,
    /// `code,name,network,` by [`carrier_slot`].
    csv_carriers: Vec<Box<[u8]>>,
}

/// Where a carrier and network's rendering is kept: 5 × 7 slots.
fn carrier_slot(code: Option<Carrier>, network: Network) -> usize {
    code.map_or(Carrier::ALL.len(), |c| c as usize) * NETWORKS.len() + network as usize
}

impl Rendered {
    /// Renders every location record (a few hundred) and every carrier and network.
    fn new(records: &[Location]) -> Rendered {
        let codes = Carrier::ALL.map(Some).into_iter().chain([None]);
        let mut json_carriers = vec![Box::default(); (Carrier::ALL.len() + 1) * NETWORKS.len()];
        let mut csv_carriers = json_carriers.clone();
        for code in codes {
            for network in NETWORKS {
                let slot = carrier_slot(code, network);
                json_carriers[slot] = json_carrier(code, network).into();
                csv_carriers[slot] = csv_carrier(code, network).into();
            }
        }
        Rendered {
            json_locations: records.iter().map(|l| json_location(l).into()).collect(),
            csv_locations: records.iter().map(|l| csv_location(l).into()).collect(),
            json_carriers,
            csv_carriers,
        }
    }
}

impl NumberTable {
    /// Appends the JSON of `input`'s lookup (no newline): exactly
    /// `serde_json::to_string(&lookup(self, input)?)`. On error nothing is written.
    pub fn write_json(&self, input: &str, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let r = resolve(self, input)?;
        let rendered = self.rendered();
        let p = &r.parsed;
        out.extend_from_slice(b"{\"number\":\"");
        p.write_e164(out);
        out.extend_from_slice(b"\",\"national\":\"");
        out.extend_from_slice(p.national.as_bytes());
        out.extend_from_slice(b"\",\"country\":");
        string(out, p.region());
        out.extend_from_slice(b",\"valid\":true,\"location\":");
        match record(&r, &rendered.json_locations) {
            Some(rendered) => out.extend_from_slice(rendered),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"carrier\":");
        match &r.carrier {
            Some(c) => {
                match rendered.json_carriers.get(carrier_slot(c.code, c.network)) {
                    Some(rendered) => out.extend_from_slice(rendered),
                    None => out.extend_from_slice(&json_carrier(c.code, c.network)),
                }
                out.extend_from_slice(c.segment.as_str().as_bytes());
                out.extend_from_slice(b"\"}");
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"type\":");
        string(out, p.number_type().as_str());
        out.push(b'}');
        Ok(())
    }

    /// Appends the CSV fields of `input`'s lookup after the `input,` column
    /// (no newline): `valid,number,national,country,type,province,city,
    /// area_code,zip,carrier,carrier_name,network,segment,error`, with an empty
    /// `error`. On error nothing is written.
    pub fn write_csv(&self, input: &str, out: &mut Vec<u8>) -> Result<(), ParseError> {
        let r = resolve(self, input)?;
        let rendered = self.rendered();
        let p = &r.parsed;
        out.extend_from_slice(b"true,");
        p.write_e164(out);
        out.push(b',');
        out.extend_from_slice(p.national.as_bytes());
        out.push(b',');
        csv_field(p.region(), out);
        out.push(b',');
        csv_field(p.number_type().as_str(), out);
        out.push(b',');
        match record(&r, &rendered.csv_locations) {
            Some(rendered) => out.extend_from_slice(rendered),
            None => out.extend_from_slice(b",,,"),
        }
        out.push(b',');
        match &r.carrier {
            Some(c) => {
                match rendered.csv_carriers.get(carrier_slot(c.code, c.network)) {
                    Some(rendered) => out.extend_from_slice(rendered),
                    None => out.extend_from_slice(&csv_carrier(c.code, c.network)),
                }
                out.extend_from_slice(c.segment.as_str().as_bytes());
            }
            None => out.extend_from_slice(b",,,"),
        }
        out.push(b',');
        Ok(())
    }

    fn rendered(&self) -> &Rendered {
        self.rendered.get_or_init(|| Rendered::new(self.records()))
    }
}

/// The pre-rendered location of a result, from `rendered`.
#[inline]
fn record<'a>(r: &Resolved, rendered: &'a [Box<[u8]>]) -> Option<&'a [u8]> {
    let id = usize::from(r.record?);
    rendered.get(id.checked_sub(1)?).map(|b| &b[..])
}

fn json_location(l: &Location) -> Vec<u8> {
    let mut out = Vec::new();
    write_location(&mut out, l);
    out
}

fn csv_location(l: &Location) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, field) in [l.province, l.city, l.area_code, l.zip].iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(field, &mut out);
    }
    out
}

/// The carrier object up to the segment's digits (its opening quote included).
fn json_carrier(code: Option<Carrier>, network: Network) -> Vec<u8> {
    let mut out = Vec::new();
    carrier_head(&mut out, code, code.map(Carrier::name_zh), network);
    out.push(b'"');
    out
}

/// `code,name,network,` (the segment follows).
fn csv_carrier(code: Option<Carrier>, network: Network) -> Vec<u8> {
    let mut out = Vec::new();
    csv_field(code.map_or("", Carrier::code), &mut out);
    out.push(b',');
    csv_field(code.map_or("", Carrier::name_zh), &mut out);
    out.push(b',');
    csv_field(network.as_str(), &mut out);
    out.push(b',');
    out
}

/// Writes one CSV field, quoted when it holds a comma, quote or line break.
pub fn csv_field(s: &str, out: &mut Vec<u8>) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}
