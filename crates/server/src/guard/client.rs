//! The client address of a request: the connection's peer, or, when the peer
//! is a trusted reverse proxy (`http.trusted_proxies`), the nearest address in
//! `X-Forwarded-For` that is not one of them.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client of a request from `peer` carrying `headers`. `X-Forwarded-For`
/// is read only when the peer is trusted, from the right (the hop the proxy
/// added) to the left, stopping at the first untrusted or unreadable hop: a
/// client cannot choose its address by sending the header itself.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// `1.2.3.4`, `2001:db8::1`, `1.2.3.4:5678` or `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Parses `http.trusted_proxies` entries: addresses or CIDR networks.
pub fn parse_proxies(list: &[String]) -> Result<Vec<IpNet>, String> {
    list.iter()
        .map(|s| {
            let s = s.trim();
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("{s:?} is not an IP address or CIDR network (e.g. 10.0.0.0/8)")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted = parse_proxies(&["10.0.0.0/8".into(), "192.0.2.7".into()]).unwrap();
        let forged = headers(&["203.0.113.9"]);
        assert_eq!(
            client_ip(ip("198.51.100.1"), &forged, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &forged, &trusted),
            ip("203.0.113.9")
        );
        let chain = headers(&["1.1.1.1, 203.0.113.9", "10.0.0.5"]);
        assert_eq!(
            client_ip(ip("192.0.2.7"), &chain, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &headers(&[]), &trusted),
            ip("10.1.2.3")
        );
        let junk = headers(&["203.0.113.9, junk"]);
        assert_eq!(client_ip(ip("10.1.2.3"), &junk, &trusted), ip("10.1.2.3"));
        assert_eq!(client_ip(ip("10.1.2.3"), &forged, &[]), ip("10.1.2.3"));
        assert_eq!(client_ip(None, &forged, &trusted), None);
        assert!(parse_proxies(&["not-an-ip".into()]).is_err());
    }
}
