//! Velocity features, replayed through MemoryCounters.

use phoneguard_risk::{Feature, FeatureValue, MemoryCounters, RiskEvent, counter_ops};

use crate::common::{NOW, engine};

const COUNTERS: [&str; 13] = [
    "ip_events",
    "subnet_events",
    "device_events",
    "account_events",
    "phone_events",
    "ip_accounts",
    "subnet_accounts",
    "device_accounts",
    "phone_accounts",
    "account_ips",
    "account_failures",
    "ip_failures",
    "ip_failed_accounts",
];

pub fn velocity_names() -> Vec<&'static str> {
    Feature::ALL
        .iter()
        .map(|f| f.name())
        .filter(|n| {
            COUNTERS
                .iter()
                .any(|c| n.starts_with(c) && n.len() <= c.len() + 4)
        })
        .collect()
}

#[test]
fn velocity_features_come_in_10m_1h_24h_triples_of_the_catalogue() {
    assert_eq!(velocity_names().len(), 39);
    for c in COUNTERS {
        for w in ["10m", "1h", "24h"] {
            assert!(Feature::from_name(&format!("{c}_{w}")).is_some(), "{c}_{w}");
        }
    }
}

/// Replays events through MemoryCounters and reads the velocity features
/// of the last one.
fn replay(events: &[(u64, RiskEvent)]) -> phoneguard_risk::Features {
    let counters = MemoryCounters::default();
    let mut last = None;
    for (t, e) in events {
        let values = counters.apply(&counter_ops(e), *t);
        last = Some(engine().features(e, &Default::default(), &values, *t));
    }
    last.expect("at least one event")
}

fn event(account: &str, ip: &str, device: &str, failed: Option<bool>) -> RiskEvent {
    let mut e = match failed {
        Some(_) => RiskEvent::login(account),
        None => RiskEvent::register(account),
    };
    e.ip = Some(ip.into());
    e.device_id = Some(device.into());
    e.pn = Some("13912345678".into());
    e.result = failed.map(|f| i64::from(!f));
    e
}

fn get(f: &phoneguard_risk::Features, name: &str) -> i64 {
    f.by_name(name).and_then(FeatureValue::as_int).unwrap()
}

#[test]
fn velocity_features_count_ips_subnets_devices_accounts_and_phones() {
    let t = NOW;
    let events = vec![
        (t - 7_200, event("a", "58.30.1.7", "d1", None)),
        (t - 1_200, event("b", "58.30.1.8", "d1", None)),
        (t - 300, event("c", "58.30.1.7", "d1", None)),
        (t, event("d", "58.30.1.7", "d1", None)),
    ];
    let f = replay(&events);
    for (name, want) in [
        ("ip_events_10m", 2),
        ("ip_events_1h", 2),
        ("ip_events_24h", 3),
        ("subnet_events_10m", 2),
        ("subnet_events_1h", 3),
        ("subnet_events_24h", 4),
        ("device_events_10m", 2),
        ("device_events_1h", 3),
        ("device_events_24h", 4),
        ("account_events_10m", 1),
        ("account_events_1h", 1),
        ("account_events_24h", 1),
        ("phone_events_10m", 2),
        ("phone_events_1h", 3),
        ("phone_events_24h", 4),
        ("ip_accounts_10m", 2),
        ("ip_accounts_1h", 2),
        ("ip_accounts_24h", 3),
        ("subnet_accounts_10m", 2),
        ("subnet_accounts_1h", 3),
        ("subnet_accounts_24h", 4),
        ("device_accounts_10m", 2),
        ("device_accounts_1h", 3),
        ("device_accounts_24h", 4),
        ("phone_accounts_10m", 2),
        ("phone_accounts_1h", 3),
        ("phone_accounts_24h", 4),
        ("account_ips_10m", 1),
        ("account_ips_1h", 1),
        ("account_ips_24h", 1),
    ] {
        assert_eq!(get(&f, name), want, "{name}");
    }
    assert_eq!(get(&f, "device_age_s"), 7_200);
}

#[test]
fn failure_features_count_failed_logins_per_account_and_ip() {
    let t = NOW;
    let events = vec![
        (t - 4_000, event("x", "58.30.1.7", "d1", Some(true))),
        (t - 500, event("y", "58.30.1.7", "d2", Some(true))),
        (t - 400, event("y", "58.30.1.7", "d2", Some(true))),
        (t - 100, event("z", "58.30.1.7", "d3", Some(false))),
        (t, event("y", "61.1.1.1", "d2", Some(false))),
    ];
    let f = replay(&events);
    for (name, want) in [
        ("account_failures_10m", 2),
        ("account_failures_1h", 2),
        ("account_failures_24h", 2),
        ("account_ips_10m", 2),
        ("account_ips_24h", 2),
        ("ip_failures_24h", 0),
        ("ip_failed_accounts_24h", 0),
    ] {
        assert_eq!(get(&f, name), want, "{name}");
    }
    let f = replay(&events[..4]);
    for (name, want) in [
        ("ip_failures_10m", 2),
        ("ip_failures_1h", 2),
        ("ip_failures_24h", 3),
        ("ip_failed_accounts_10m", 1),
        ("ip_failed_accounts_1h", 1),
        ("ip_failed_accounts_24h", 2),
        ("ip_events_24h", 4),
        ("account_failures_24h", 0),
    ] {
        assert_eq!(get(&f, name), want, "{name}");
    }
}
