//! Which counters an event touches.

use super::{CounterOp, Slot};
use crate::event::{EventKind, RiskEvent};
use crate::ident::{account_key, client_ip, device_ids, source_name, subnet_of};
use crate::phone::phone_key;

/// The counters `event` records and reads, with their keys:
///
/// | key | op | slot |
/// |---|---|---|
/// | `ip:{kind}:{ip}` | hit | [`Slot::Ip`] |
/// | `ip24:{kind}:a.b.c` / `ip64:{kind}:…` | hit | [`Slot::Subnet`] |
/// | `dev:{kind}:{id\|idfa\|mac}:{value}` | hit | [`Slot::Device`] |
/// | `acct:{kind}:{account}` | hit | [`Slot::Account`] |
/// | `pn:{kind}:{md5}` | hit | [`Slot::Phone`] |
/// | `ipacct:{ip}` ∋ account | distinct | [`Slot::IpAccounts`] |
/// | `ip24acct:…` / `ip64acct:…` ∋ account | distinct | [`Slot::SubnetAccounts`] |
/// | `devacct:{source}:{value}` ∋ account | distinct | [`Slot::DeviceAccounts`] |
/// | `pnacct:{md5}` ∋ account | distinct | [`Slot::PhoneAccounts`] |
/// | `acctip:{account}` ∋ ip | distinct | [`Slot::AccountIps`] |
/// | `fail_acct:{account}` | hit | [`Slot::AccountFailures`] |
/// | `fail_ip:{ip}` | hit | [`Slot::IpFailures`] |
/// | `fail_ipacct:{ip}` ∋ account | distinct | [`Slot::IpFailedAccounts`] |
/// | `devfirst:{source}:{value}` | first seen | [`Slot::DeviceFirstSeen`] |
///
/// `{kind}` is `register` or `login`, so registrations and logins are
/// counted apart; distinct and failure counters mix both. The failure
/// counters record only failed logins (`result` 0) and are read-only for
/// every other event. Ops whose input is absent (no IP, no phone, no usable
/// device id) are left out. The phone is keyed by the MD5 of its digits
/// (see [`crate::phone_key`]). `now` is not needed: the store takes it.
pub fn counter_ops(event: &RiskEvent) -> Vec<CounterOp> {
    counter_ops_in("", event)
}

/// [`counter_ops`] with every key under `scope` (`{scope}:{key}`, as a
/// tenant's counters are kept); an empty `scope` leaves the keys as they are.
/// Each key is built in one allocation of its final size (no formatting
/// machinery): an event makes up to 17 keys.
pub fn counter_ops_in(scope: &str, event: &RiskEvent) -> Vec<CounterOp> {
    let kind = match event.kind {
        EventKind::Register => "register",
        EventKind::Login => "login",
    };
    let key = |parts: &[&str]| -> String {
        let len = scope.len() + 1 + parts.iter().map(|p| p.len()).sum::<usize>();
        let mut k = String::with_capacity(len);
        if !scope.is_empty() {
            k.push_str(scope);
            k.push(':');
        }
        for p in parts {
            k.push_str(p);
        }
        k
    };
    let failed = event.is_failed_login();
    let account = account_key(event);
    let account = account.as_str();
    let devices = device_ids(event);
    let mut ops = Vec::with_capacity(12 + 3 * devices.len());
    let hit = |slot, key| CounterOp::Hit {
        slot,
        key,
        record: true,
    };
    let distinct = |slot, key, member: &str| CounterOp::Distinct {
        slot,
        key,
        member: Some(member.to_owned()),
    };
    ops.push(hit(Slot::Account, key(&["acct:", kind, ":", account])));
    ops.push(CounterOp::Hit {
        slot: Slot::AccountFailures,
        key: key(&["fail_acct:", account]),
        record: failed,
    });
    if let Some(ip) = client_ip(event) {
        let subnet = subnet_of(ip);
        let (family, prefix) = subnet.split_once(':').unwrap_or(("ip", &subnet));
        let ip = ip.to_string();
        let ip = ip.as_str();
        ops.push(hit(Slot::Ip, key(&["ip:", kind, ":", ip])));
        ops.push(hit(Slot::Subnet, key(&[family, ":", kind, ":", prefix])));
        ops.push(distinct(Slot::IpAccounts, key(&["ipacct:", ip]), account));
        ops.push(distinct(
            Slot::SubnetAccounts,
            key(&[family, "acct:", prefix]),
            account,
        ));
        ops.push(distinct(Slot::AccountIps, key(&["acctip:", account]), ip));
        ops.push(CounterOp::Hit {
            slot: Slot::IpFailures,
            key: key(&["fail_ip:", ip]),
            record: failed,
        });
        ops.push(CounterOp::Distinct {
            slot: Slot::IpFailedAccounts,
            key: key(&["fail_ipacct:", ip]),
            member: failed.then(|| account.to_owned()),
        });
    }
    if let Some(pn) = event.pn.as_deref().and_then(phone_key) {
        ops.push(hit(Slot::Phone, key(&["pn:", kind, ":", &pn])));
        ops.push(distinct(
            Slot::PhoneAccounts,
            key(&["pnacct:", &pn]),
            account,
        ));
    }
    for (source, value) in &devices {
        let name = source_name(*source);
        ops.push(hit(
            Slot::Device(*source),
            key(&["dev:", kind, ":", name, ":", value]),
        ));
        ops.push(distinct(
            Slot::DeviceAccounts(*source),
            key(&["devacct:", name, ":", value]),
            account,
        ));
        ops.push(CounterOp::FirstSeen {
            slot: Slot::DeviceFirstSeen(*source),
            key: key(&["devfirst:", name, ":", value]),
        });
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ops: &[CounterOp]) -> Vec<&str> {
        ops.iter().map(CounterOp::key).collect()
    }

    #[test]
    fn a_full_event_touches_every_namespace() {
        let mut e = RiskEvent::login("Alice");
        e.ip = Some("203.0.113.7".into());
        e.pn = Some("13800138000".into());
        e.device_id = Some("dev1".into());
        e.result = Some(0);
        let ops = counter_ops(&e);
        let k = keys(&ops);
        for want in [
            "acct:login:Alice",
            "fail_acct:Alice",
            "ip:login:203.0.113.7",
            "ip24:login:203.0.113",
            "ipacct:203.0.113.7",
            "ip24acct:203.0.113",
            "acctip:Alice",
            "fail_ip:203.0.113.7",
            "fail_ipacct:203.0.113.7",
            "dev:login:id:dev1",
            "devacct:id:dev1",
            "devfirst:id:dev1",
        ] {
            assert!(k.contains(&want), "{want} missing from {k:?}");
        }
        assert!(k.iter().any(|k| k.starts_with("pn:login:")));
        assert!(ops.iter().all(|op| match op {
            CounterOp::Hit { record, .. } => *record,
            CounterOp::Distinct { member, .. } => member.is_some(),
            CounterOp::FirstSeen { .. } => true,
        }));
    }

    #[test]
    fn failure_counters_are_only_read_for_a_successful_login() {
        let mut e = RiskEvent::login("a");
        e.ip = Some("2001:db8::1".into());
        e.result = Some(1);
        let ops = counter_ops(&e);
        let fail: Vec<_> = ops
            .iter()
            .filter(|op| op.key().starts_with("fail_"))
            .collect();
        assert_eq!(fail.len(), 3);
        assert!(fail.iter().all(|op| matches!(
            op,
            CounterOp::Hit { record: false, .. } | CounterOp::Distinct { member: None, .. }
        )));
        assert!(keys(&ops).contains(&"ip64:login:2001:db8:0:0"));
    }

    #[test]
    fn an_event_with_only_an_account_touches_only_account_counters() {
        let ops = counter_ops(&RiskEvent::register("a"));
        assert_eq!(keys(&ops), vec!["acct:register:a", "fail_acct:a"]);
    }

    #[test]
    fn scoped_ops_are_the_same_ops_with_the_scope_before_each_key() {
        let mut e = RiskEvent::login("0123456789ABCDEF0123456789abcdef");
        e.ip = Some("2001:db8::7".into());
        e.pn = Some("13800138000".into());
        e.device_id = Some("dev1".into());
        e.idfa = Some("6D92078A-8246-4BA4-AE5B-76104861E7DC".into());
        e.result = Some(0);
        let plain = counter_ops(&e);
        let scoped = counter_ops_in("tn_1", &e);
        assert_eq!(plain.len(), scoped.len());
        assert!(plain.len() >= 15, "{plain:?}");
        for (p, s) in plain.iter().zip(&scoped) {
            let mut want = p.clone();
            match &mut want {
                CounterOp::Hit { key, .. }
                | CounterOp::Distinct { key, .. }
                | CounterOp::FirstSeen { key, .. } => *key = format!("tn_1:{key}"),
            }
            assert_eq!(s, &want);
        }
        assert!(keys(&scoped).contains(&"tn_1:ip64acct:2001:db8:0:0"));
    }
}
