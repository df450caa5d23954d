//! How risk results are filed: which identifier stands for an event's device,
//! the forms a device asked for by id may be filed under, and the keyed
//! hashes of devices, accounts and networks kept instead of the values.

use phoneguard_risk::{DeviceSource, RiskEvent};

use crate::secrets::HashKey;

/// Hash domains.
const DEVICE_DOMAIN: &str = "risk_device";
const ACCOUNT_DOMAIN: &str = "risk_account";
/// Hash domain of the network a risk event came from.
const IP_DOMAIN: &str = "risk_ip";

/// The device identifier results are filed under: the first of the device
/// identifiers the engine counts ([`phoneguard_risk::device_ids`]): a
/// `device_id` (trimmed, and not made of zeros and punctuation only), else a
/// non-null IDFA (upper case), else a well-formed, non-null MAC (its 12 hex
/// digits, lower case). Null values — the all-zero IDFA, `02:00:00:00:00:00`,
/// the MAC every Android 6+ / iOS 7+ app sees — are shared by strangers and
/// never identify a device.
pub fn device_of(event: &RiskEvent) -> Option<String> {
    phoneguard_risk::device_ids(event)
        .into_iter()
        .find(|(source, id)| {
            *source != DeviceSource::DeviceId
                || id.chars().any(|c| c.is_ascii_alphanumeric() && c != '0')
        })
        .map(|(_, id)| id)
}

/// The identifiers a device asked for by `device_id` (as a client writes it)
/// may be filed under: as written (trimmed), and in the engine's normal
/// form when it reads as an IDFA (upper case) or a MAC (12 lower-case hex
/// digits). Null IDFAs and MACs are never looked up.
pub(super) fn device_keys(device_id: &str) -> Vec<String> {
    let id = device_id.trim();
    if phoneguard_risk::mac_is_null(id) || (id.len() == 36 && phoneguard_risk::idfa_is_null(id)) {
        return Vec::new();
    }
    // Only an IDFA is upper-cased: two `device_id`s differing in case are two devices.
    let idfa = is_uuid(id).then(|| id.to_ascii_uppercase());
    let mut keys = vec![id.to_string()];
    for key in [idfa, phoneguard_risk::mac_digits(id)]
        .into_iter()
        .flatten()
    {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// Keyed hash under which a device's results are filed.
pub(super) fn device_hash(key: &HashKey, tenant_id: &str, device_id: &str) -> String {
    key.hash(DEVICE_DOMAIN, &format!("{tenant_id}\u{1f}{device_id}"))
}

/// Keyed hash of an event's account.
pub(super) fn account_hash(key: &HashKey, tenant_id: &str, account: &str) -> String {
    key.hash(ACCOUNT_DOMAIN, &format!("{tenant_id}\u{1f}{account}"))
}

/// Keyed hash of the network an event came from (an IPv4 address, an IPv6
/// /64); `None` without a valid `ip`.
pub(super) fn ip_hash(key: &HashKey, tenant_id: &str, ip: Option<&str>) -> Option<String> {
    let ip: std::net::IpAddr = ip?.trim().parse().ok()?;
    let net = crate::net::counted_network(ip, 64);
    Some(key.hash(IP_DOMAIN, &format!("{tenant_id}\u{1f}{net}")))
}

/// Whether `s` is written as a UUID (8-4-4-4-12 hex digits), as an IDFA is.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::risk) fn device_event(
        account: &str,
        device_id: Option<&str>,
        idfa: Option<&str>,
        mac: Option<&str>,
    ) -> RiskEvent {
        let mut e = RiskEvent::register(account);
        e.device_id = device_id.map(Into::into);
        e.idfa = idfa.map(Into::into);
        e.mac = mac.map(Into::into);
        e
    }

    #[test]
    fn null_idfas_and_macs_are_no_device_as_for_the_engine() {
        let of = |d, i, m| device_of(&device_event("u", d, i, m));
        for mac in [
            "02:00:00:00:00:00",
            "02-00-00-00-00-00",
            "020000000000",
            "00:00:00:00:00:00",
            "not a mac",
        ] {
            assert_eq!(of(None, None, Some(mac)), None, "{mac}");
        }
        let null_idfa = "00000000-0000-0000-0000-000000000000";
        assert_eq!(of(None, Some(null_idfa), Some("02:00:00:00:00:00")), None);
        assert_eq!(
            of(Some(" 0000 "), None, None),
            None,
            "an all-zero device_id"
        );
        // Real identifiers, in the form the engine counts them.
        assert_eq!(
            of(None, Some(null_idfa), Some("AA:BB:CC:00:11:22")),
            Some("aabbcc001122".into())
        );
        assert_eq!(
            of(None, None, Some("aa-bb-cc-00-11-22")),
            Some("aabbcc001122".into())
        );
        let idfa = "1e2dfa89-496a-47fd-9941-df1fc4e6484a";
        assert_eq!(
            of(None, Some(idfa), Some("AA:BB:CC:00:11:22")),
            Some(idfa.to_ascii_uppercase())
        );
        assert_eq!(
            of(Some(" d-1 "), Some(idfa), None),
            Some("d-1".into()),
            "device_id first"
        );
    }

    #[test]
    fn a_device_is_looked_up_as_written_and_as_the_engine_writes_it() {
        assert_eq!(
            device_keys(" AA:BB:CC:00:11:22 "),
            ["AA:BB:CC:00:11:22", "aabbcc001122"]
        );
        let idfa = "1e2dfa89-496a-47fd-9941-df1fc4e6484a";
        assert_eq!(
            device_keys(idfa),
            [idfa.to_string(), idfa.to_ascii_uppercase()]
        );
        assert_eq!(
            device_keys("dev-x"),
            ["dev-x"],
            "a device_id is not case-folded"
        );
    }
}
