//! Client addresses as limits count them.

use std::net::{IpAddr, Ipv6Addr};

/// The network an address counts as: an IPv4 address as is (its `::ffff:…`
/// spelling too), an IPv6 address by its first `v6_prefix_len` bits (one
/// subscriber gets a whole /64, so counting single v6 addresses would limit
/// nothing).
pub fn counted_network(ip: IpAddr, v6_prefix_len: u8) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None if v6_prefix_len >= 128 => IpAddr::V6(v6),
            None => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(v6_prefix_len))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str, len: u8) -> String {
        counted_network(s.parse().unwrap(), len).to_string()
    }

    #[test]
    fn v6_counts_by_its_prefix_and_v4_as_is() {
        assert_eq!(net("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::");
        assert_eq!(net("2001:db8:1:2:aaaa::1", 48), "2001:db8:1::");
        assert_eq!(net("2001:db8:1:2:aaaa::1", 128), "2001:db8:1:2:aaaa::1");
        assert_eq!(net("2001:db8::1", 0), "::");
        assert_eq!(net("::ffff:203.0.113.7", 64), "203.0.113.7");
        assert_eq!(net("203.0.113.7", 64), "203.0.113.7");
    }
}
