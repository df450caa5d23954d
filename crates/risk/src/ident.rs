//! Normalised identities of an event: its IP and subnet, its usable device
//! identifiers, its account. Shared by counter keys and features.

use std::net::IpAddr;

use crate::counters::DeviceSource;
use crate::event::RiskEvent;
use crate::validate::is_hex32;

/// The event's IP, parsed; IPv4-mapped IPv6 addresses become IPv4.
pub fn client_ip(event: &RiskEvent) -> Option<IpAddr> {
    parse_ip(event.ip.as_deref()?)
}

/// Parses an IP written alone, trimmed; IPv4-mapped IPv6 become IPv4.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The counter name of an IP's subnet: `ip24:a.b.c` for IPv4 (its /24),
/// `ip64:xxxx:xxxx:xxxx:xxxx` for IPv6 (its /64).
pub fn subnet_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("ip24:{a}.{b}.{c}")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("ip64:{:x}:{:x}:{:x}:{:x}", s[0], s[1], s[2], s[3])
        }
    }
}

/// The account as counted: trimmed, and lower-cased when it is an MD5.
pub fn account_key(event: &RiskEvent) -> String {
    let account = event.account.trim();
    if is_hex32(account) {
        account.to_ascii_lowercase()
    } else {
        account.to_owned()
    }
}

/// Whether an IDFA is the all-zero value iOS sends when tracking is limited
/// (or is made of zeros and dashes only).
pub fn idfa_is_null(idfa: &str) -> bool {
    idfa.bytes().all(|b| b == b'0' || b == b'-')
}

/// The 12 hex digits of a MAC address, lower case; `None` if it is not one.
pub fn mac_digits(mac: &str) -> Option<String> {
    let digits: String = mac
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_hexdigit())).then_some(digits)
}

/// Whether a MAC is null: all zeros, or `02:00:00:00:00:00`, the constant
/// Android 6+ and iOS 7+ return to apps instead of the real address.
pub fn mac_is_null(mac: &str) -> bool {
    matches!(
        mac_digits(mac).as_deref(),
        Some("000000000000" | "020000000000")
    )
}

/// The event's device identifiers that can tell devices apart: `device_id`,
/// then `idfa` and `mac` unless null or malformed.
pub fn device_ids(event: &RiskEvent) -> Vec<(DeviceSource, String)> {
    let mut ids = Vec::with_capacity(3);
    if let Some(id) = event
        .device_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        ids.push((DeviceSource::DeviceId, id.to_owned()));
    }
    if let Some(idfa) = event.idfa.as_deref().map(str::trim)
        && !idfa.is_empty()
        && !idfa_is_null(idfa)
    {
        ids.push((DeviceSource::Idfa, idfa.to_ascii_uppercase()));
    }
    if let Some(mac) = event.mac.as_deref()
        && !mac_is_null(mac)
        && let Some(digits) = mac_digits(mac)
    {
        ids.push((DeviceSource::Mac, digits));
    }
    ids
}

/// Short name of a device source in keys: `id`, `idfa`, `mac`.
pub fn source_name(source: DeviceSource) -> &'static str {
    match source {
        DeviceSource::DeviceId => "id",
        DeviceSource::Idfa => "idfa",
        DeviceSource::Mac => "mac",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_identifiers_are_not_device_ids() {
        let mut e = RiskEvent::register("a");
        e.idfa = Some("00000000-0000-0000-0000-000000000000".into());
        e.mac = Some("02:00:00:00:00:00".into());
        assert!(device_ids(&e).is_empty());
        e.mac = Some("AA-BB-CC-00-11-22".into());
        e.device_id = Some(" d1 ".into());
        assert_eq!(
            device_ids(&e),
            vec![
                (DeviceSource::DeviceId, "d1".into()),
                (DeviceSource::Mac, "aabbcc001122".into())
            ]
        );
    }

    #[test]
    fn subnets_are_slash_24_and_slash_64() {
        assert_eq!(subnet_of("203.0.113.9".parse().unwrap()), "ip24:203.0.113");
        assert_eq!(
            subnet_of("2001:db8:1:2:3::1".parse().unwrap()),
            "ip64:2001:db8:1:2"
        );
        assert_eq!(parse_ip("::ffff:1.2.3.4"), Some("1.2.3.4".parse().unwrap()));
    }
}
