//! IP address classes, CIDR lists and the `X-Forwarded-For` chain.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// A set of CIDR ranges with logarithmic lookup (sorted, merged intervals),
/// so provider feeds of thousands of ranges stay cheap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CidrList {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
    entries: usize,
}

impl CidrList {
    /// Parses `a.b.c.d/n`, `x:y::/n`, or a single address per entry; an
    /// error is the first entry that is neither.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<CidrList, String> {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for entry in entries {
            let text = entry.as_ref().trim();
            let net = match text.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => text
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| text.to_owned())?,
            };
            match net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        Ok(CidrList {
            v4: merge(v4),
            v6: merge(v6),
            entries: entries.len(),
        })
    }

    /// Whether `ip` is inside one of the ranges.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip.to_canonical() {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => find(&self.v6, u128::from(a)),
        }
    }

    /// Entries it was parsed from.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether it has no range.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }
}

fn merge<T: Ord + Copy>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

fn find<T: Ord + Copy>(ranges: &[(T, T)], x: T) -> bool {
    let i = ranges.partition_point(|r| r.0 <= x);
    i > 0 && ranges[i - 1].1 >= x
}

/// Private addresses: RFC 1918, carrier-grade NAT 100.64.0.0/10, IPv6
/// unique-local fc00::/7. A server never sees them from the Internet, so
/// an event carrying one was reported with the wrong address.
pub fn is_private(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(a) => a.is_private() || (a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64),
        IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Reserved addresses that no client has: unspecified, loopback,
/// link-local, multicast, broadcast, documentation, benchmarking, 0/8,
/// 192.0.0.0/24, 240/4 and IPv6 discard-only 100::/64.
pub fn is_reserved(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(a) => reserved_v4(a),
        IpAddr::V6(a) => reserved_v6(a),
    }
}

fn reserved_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, o2, _] = a.octets();
    a.is_unspecified()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_multicast()
        || a.is_broadcast()
        || a.is_documentation()
        || o0 == 0
        || o0 >= 240
        || (o0 == 192 && o1 == 0 && o2 == 0)
        || (o0 == 198 && (o1 & 0xfe) == 18)
}

fn reserved_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0)
}

/// What an `X-Forwarded-For` value says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct XffInfo {
    /// Entries, `unknown` ones included.
    pub hops: usize,
    /// An entry is empty or neither an IP (optionally with a port, in
    /// brackets or as RFC 7239 `for=`) nor `unknown`.
    pub malformed: bool,
    /// The entries that are IPs, in order.
    pub ips: Vec<IpAddr>,
}

/// Reads an `X-Forwarded-For` (or `Forwarded: for=`) chain.
pub fn read_x_forward_for(value: &str) -> XffInfo {
    let mut info = XffInfo::default();
    for entry in value.split(',') {
        info.hops += 1;
        let mut e = entry.trim();
        if let Some(rest) = e.strip_prefix("for=").or_else(|| e.strip_prefix("For=")) {
            e = rest.trim_matches('"');
        }
        if e.eq_ignore_ascii_case("unknown") {
            continue;
        }
        match parse_hop(e) {
            Some(ip) => info.ips.push(ip),
            None => info.malformed = true,
        }
    }
    info
}

fn parse_hop(e: &str) -> Option<IpAddr> {
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = e.strip_prefix('[') {
        let (inside, _port) = rest.split_once(']')?;
        return inside.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let (host, port) = e.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_lists_find_addresses_in_merged_ranges() {
        let list =
            CidrList::parse(&["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "8.8.8.8"]).unwrap();
        assert!(list.contains(ip("10.200.3.4")));
        assert!(list.contains(ip("8.8.8.8")));
        assert!(!list.contains(ip("8.8.8.9")));
        assert!(list.contains(ip("2001:db8:ffff::1")));
        assert!(!list.contains(ip("11.0.0.0")));
        assert_eq!(CidrList::parse(&["nope/8"]), Err("nope/8".to_owned()));
    }

    #[test]
    fn private_and_reserved_addresses_are_told_apart() {
        for p in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.3",
            "100.64.0.1",
            "fd00::1",
        ] {
            assert!(is_private(ip(p)) && !is_reserved(ip(p)), "{p}");
        }
        for r in [
            "127.0.0.1",
            "0.0.0.0",
            "169.254.1.1",
            "203.0.113.5",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "2001:db8::1",
        ] {
            assert!(is_reserved(ip(r)) && !is_private(ip(r)), "{r}");
        }
        for public in ["8.8.8.8", "58.30.1.7", "2408:8000::1"] {
            assert!(
                !is_private(ip(public)) && !is_reserved(ip(public)),
                "{public}"
            );
        }
    }

    #[test]
    fn forwarded_chains_are_read_hop_by_hop() {
        let x = read_x_forward_for("58.30.1.7, unknown, 10.0.0.2:8080, [2408:8000::1]:443");
        assert_eq!(x.hops, 4);
        assert!(!x.malformed);
        assert_eq!(
            x.ips,
            vec![ip("58.30.1.7"), ip("10.0.0.2"), ip("2408:8000::1")]
        );
        assert!(read_x_forward_for("https://www.getui.com").malformed);
        assert!(read_x_forward_for("1.2.3.4,,5.6.7.8").malformed);
        assert_eq!(
            read_x_forward_for("for=\"1.2.3.4\"").ips,
            vec![ip("1.2.3.4")]
        );
    }
}
