//! Countries of IP addresses and of time zones, for the device feature
//! "the browser's time zone is of another country than the event's IP".
//!
//! phoneguard bundles no IP geolocation data (none with a licence and size fit
//! to ship was at hand); the deployer points `risk.geoip_file` at a table of
//! address ranges, in the CSV form of DB-IP's free "IP to Country Lite"
//! (`first,last,CC`, IPv4 and IPv6 mixed, CC-BY 4.0) or any file of that
//! shape. Time zones are mapped to countries from the tz database (public
//! domain), bundled as `data/tz_countries.tsv`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::LazyLock;

/// An ISO 3166-1 alpha-2 country code, upper case.
pub type Country = [u8; 2];

/// Most lines read from a geo-IP table (DB-IP's has about 600,000).
const MAX_RANGES: usize = 5_000_000;

/// Address ranges and their countries, sorted and disjoint.
#[derive(Debug, Default)]
pub struct GeoIp {
    v4: Vec<(u32, u32, Country)>,
    v6: Vec<(u128, u128, Country)>,
}

impl GeoIp {
    /// Reads a table from `path`; the error names the file and the line.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses `first,last,CC` lines (quotes around fields allowed; blank
    /// lines and `#` comments skipped; `ZZ` and `-` mean unknown and are
    /// skipped). Ranges must not overlap.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut geo = GeoIp::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |what: &str| format!("line {}: {what}: {line:.80}", n + 1);
            let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
            let (Some(first), Some(last), Some(cc)) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad("expected first_ip,last_ip,country"));
            };
            let first: IpAddr = first.parse().map_err(|_| bad("not an IP address"))?;
            let last: IpAddr = last.parse().map_err(|_| bad("not an IP address"))?;
            if cc == "ZZ" || cc == "-" {
                continue;
            }
            let cc = country_code(cc).ok_or_else(|| bad("country must be two letters"))?;
            match (first, last) {
                (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => geo.v4.push((a.into(), b.into(), cc)),
                (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => geo.v6.push((a.into(), b.into(), cc)),
                _ => return Err(bad("the range must be of one address family, first ≤ last")),
            }
            if geo.v4.len() + geo.v6.len() > MAX_RANGES {
                return Err(format!("more than {MAX_RANGES} ranges"));
            }
        }
        sort_disjoint(&mut geo.v4, |a| std::net::Ipv4Addr::from(a).to_string())?;
        sort_disjoint(&mut geo.v6, |a| std::net::Ipv6Addr::from(a).to_string())?;
        Ok(geo)
    }

    /// The country of an address; `None` when no range holds it. An
    /// IPv4-mapped IPv6 address is looked up as IPv4.
    pub fn country(&self, ip: IpAddr) -> Option<Country> {
        match ip {
            IpAddr::V4(v4) => find(&self.v4, u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => find(&self.v4, u32::from(v4)),
                None => find(&self.v6, u128::from(v6)),
            },
        }
    }

    /// Ranges held.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether no range is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Sorts ranges by their first address; an overlap is an error naming both
/// addresses (written by `show`).
fn sort_disjoint<T: Ord + Copy>(
    v: &mut [(T, T, Country)],
    show: fn(T) -> String,
) -> Result<(), String> {
    v.sort_unstable_by_key(|r| r.0);
    match v.windows(2).find(|w| w[1].0 <= w[0].1) {
        Some(w) => Err(format!(
            "ranges overlap: one ends at {}, the next starts at {}",
            show(w[0].1),
            show(w[1].0)
        )),
        None => Ok(()),
    }
}

fn find<T: Ord + Copy>(v: &[(T, T, Country)], ip: T) -> Option<Country> {
    let i = v.partition_point(|r| r.0 <= ip);
    let r = v.get(i.checked_sub(1)?)?;
    (ip <= r.1).then_some(r.2)
}

fn country_code(s: &str) -> Option<Country> {
    let b = s.as_bytes();
    (b.len() == 2 && b.iter().all(u8::is_ascii_alphabetic))
        .then(|| [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()])
}

static TZ_COUNTRIES: LazyLock<HashMap<&'static str, Country>> = LazyLock::new(|| {
    include_str!("../../../data/tz_countries.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (tz, cc) = l.split_once('\t')?;
            Some((tz, country_code(cc)?))
        })
        .collect()
});

/// The country of an IANA time zone name (`Asia/Shanghai` → `CN`, also the
/// old names browsers still report, `Asia/Calcutta` → `IN`); `None` for a
/// zone of no one country (`UTC`, `Etc/GMT+8`) or an unknown name.
pub fn timezone_country(tz: &str) -> Option<Country> {
    TZ_COUNTRIES.get(tz.trim()).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_name_their_country_links_included() {
        assert_eq!(timezone_country("Asia/Shanghai"), Some(*b"CN"));
        assert_eq!(timezone_country("Asia/Calcutta"), Some(*b"IN"));
        assert_eq!(timezone_country("America/New_York"), Some(*b"US"));
        assert_eq!(timezone_country("Europe/Berlin"), Some(*b"DE"));
        assert_eq!(timezone_country("UTC"), None);
        assert_eq!(timezone_country("Etc/GMT+8"), None);
        assert_eq!(timezone_country("Mars/Olympus"), None);
    }

    #[test]
    fn addresses_are_found_in_their_range_and_nowhere_else() {
        let geo = GeoIp::parse(
            "# first,last,country\n\
             \"1.0.0.0\",\"1.0.0.255\",\"AU\"\n\
             58.30.0.0,58.31.255.255,cn\n\
             8.8.8.0,8.8.8.255,US\n\
             10.0.0.0,10.255.255.255,ZZ\n\
             2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,DE\n",
        )
        .unwrap();
        assert_eq!(geo.len(), 4);
        let c = |s: &str| geo.country(s.parse().unwrap());
        assert_eq!(c("1.0.0.0"), Some(*b"AU"));
        assert_eq!(c("1.0.0.255"), Some(*b"AU"));
        assert_eq!(c("1.0.1.0"), None);
        assert_eq!(c("58.30.12.8"), Some(*b"CN"));
        assert_eq!(c("8.8.8.8"), Some(*b"US"));
        assert_eq!(c("8.8.9.0"), None);
        assert_eq!(c("0.0.0.1"), None);
        assert_eq!(c("10.1.2.3"), None, "ZZ is unknown");
        assert_eq!(c("::ffff:58.30.1.1"), Some(*b"CN"), "mapped IPv4");
        assert_eq!(c("2001:db8:1::5"), Some(*b"DE"));
        assert_eq!(c("2001:db9::1"), None);
    }

    #[test]
    fn a_bad_table_is_refused_naming_the_line() {
        for (text, want) in [
            ("1.0.0.0,1.0.0.255", "line 1: expected"),
            ("1.0.0.0,banana,AU", "line 1: not an IP"),
            ("1.0.0.9,1.0.0.1,AU", "first ≤ last"),
            ("1.0.0.0,::1,AU", "one address family"),
            ("\n1.0.0.0,1.0.0.9,AUS", "line 2: country"),
            (
                "1.0.0.0,1.0.0.9,AU\n1.0.0.5,1.0.1.0,NZ",
                "overlap: one ends at 1.0.0.9, the next starts at 1.0.0.5",
            ),
        ] {
            let err = GeoIp::parse(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }
}
