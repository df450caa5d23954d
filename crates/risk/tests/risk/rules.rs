//! Every default rule fires on an event made to trigger it and stays quiet
//! just short of it.

use phoneguard_risk::{
    CounterReading, DeviceCheck, DeviceSource, EventKind, RuleSet, Slot, VerifiedDevice,
};

use crate::common::{CHROME_ANDROID, Input, NOW, SAFARI_IPHONE, engine, fired, md5_hex};

/// A rule, how to make it fire, and how to get just short of it.
struct Case {
    rule: &'static str,
    fire: fn(&mut Input),
    quiet: fn(&mut Input),
}

fn login(i: &mut Input) {
    i.event.kind = EventKind::Login;
    i.event.result = Some(1);
}

fn number(i: &mut Input, network: &str) {
    i.event.pn = Some("13912345678".into());
    i.phone.network = Some(network.into());
}

const DEVICE: Slot = Slot::Device(DeviceSource::DeviceId);

fn cases() -> Vec<Case> {
    vec![
        Case {
            rule: "common_password",
            fire: |i| i.event.pwd = Some(md5_hex("123456").to_uppercase()),
            quiet: |_| {},
        },
        Case {
            rule: "disposable_email",
            fire: |i| i.event.email = Some("x@mailinator.com".into()),
            quiet: |i| i.event.email = Some("x@gmail.com".into()),
        },
        Case {
            rule: "phone_shared",
            fire: |i| {
                i.count(Slot::PhoneAccounts, [1, 1, 3]);
            },
            quiet: |i| {
                i.count(Slot::PhoneAccounts, [2, 2, 2]);
            },
        },
        Case {
            rule: "phone_velocity",
            fire: |i| {
                i.count(Slot::Phone, [1, 5, 5]);
            },
            quiet: |i| {
                i.count(Slot::Phone, [4, 4, 9]);
            },
        },
        Case {
            rule: "phone_virtual",
            fire: |i| number(i, "mvno"),
            quiet: |i| number(i, "mno"),
        },
        Case {
            rule: "phone_iot_or_data",
            fire: |i| number(i, "iot"),
            quiet: |i| number(i, "satellite"),
        },
        Case {
            rule: "phone_unallocated",
            fire: |i| {
                number(i, "mno");
                i.phone.allocated = false;
            },
            quiet: |i| {
                i.event.pn = Some(md5_hex("x"));
                i.phone.allocated = false;
            },
        },
        Case {
            rule: "phone_line_bad",
            fire: |i| {
                number(i, "mno");
                i.phone.line_status = Some("suspended".into());
            },
            quiet: |i| {
                number(i, "mno");
                i.phone.line_status = Some("normal".into());
            },
        },
        Case {
            rule: "account_failures",
            fire: |i| {
                login(i);
                i.count(Slot::AccountFailures, [5, 5, 5]);
            },
            quiet: |i| {
                login(i);
                i.count(Slot::AccountFailures, [4, 4, 20]);
            },
        },
        Case {
            rule: "account_many_ips",
            fire: |i| {
                i.count(Slot::AccountIps, [2, 5, 5]);
            },
            quiet: |i| {
                i.count(Slot::AccountIps, [2, 4, 9]);
            },
        },
        Case {
            rule: "ip_velocity",
            fire: |i| {
                i.count(Slot::Ip, [5, 5, 5]);
            },
            quiet: |i| {
                i.count(Slot::Ip, [4, 9, 29]);
            },
        },
        Case {
            rule: "subnet_velocity",
            fire: |i| {
                i.count(Slot::Subnet, [3, 20, 20]);
            },
            quiet: |i| {
                i.count(Slot::Subnet, [3, 19, 59]);
            },
        },
        Case {
            rule: "credential_stuffing",
            fire: |i| {
                login(i);
                i.count(Slot::IpFailedAccounts, [4, 4, 4])
                    .count(Slot::IpFailures, [5, 5, 5])
                    .count(Slot::Ip, [10, 10, 10]);
            },
            quiet: |i| {
                login(i);
                i.count(Slot::IpFailedAccounts, [4, 4, 4])
                    .count(Slot::IpFailures, [4, 4, 4])
                    .count(Slot::Ip, [10, 10, 10]);
            },
        },
        Case {
            rule: "login_ip_velocity",
            fire: |i| {
                login(i);
                i.count(Slot::Ip, [150, 150, 150]);
            },
            quiet: |i| {
                login(i);
                i.count(Slot::Ip, [149, 500, 2000]);
            },
        },
        Case {
            rule: "automation_user_agent",
            fire: |i| i.event.user_agent = Some("python-requests/2.31.0".into()),
            quiet: |i| i.event.user_agent = Some(CHROME_ANDROID.into()),
        },
        Case {
            rule: "missing_user_agent",
            fire: |i| i.event.user_agent = None,
            quiet: |i| {
                i.event.user_agent = None;
                i.event.run_env = Some(5);
            },
        },
        Case {
            rule: "datacenter_ip",
            fire: |i| i.event.x_forward_for = Some("58.30.1.7, 47.74.1.2".into()),
            quiet: |i| i.event.ip = Some("58.30.1.8".into()),
        },
        Case {
            rule: "reserved_ip",
            fire: |i| i.event.ip = Some("127.0.0.1".into()),
            quiet: |i| i.event.ip = Some("10.0.0.1".into()),
        },
        Case {
            rule: "private_ip",
            fire: |i| i.event.ip = Some("192.168.1.3".into()),
            quiet: |i| i.event.ip = Some("8.8.8.8".into()),
        },
        Case {
            rule: "xff_spoofed",
            fire: |i| i.event.x_forward_for = Some("8.8.4.4".into()),
            quiet: |i| i.event.x_forward_for = Some("10.0.0.9, 58.30.1.7".into()),
        },
        Case {
            rule: "xff_malformed",
            fire: |i| i.event.x_forward_for = Some("https://www.getui.com".into()),
            quiet: |i| i.event.x_forward_for = Some("58.30.1.7, unknown".into()),
        },
        Case {
            rule: "device_farm",
            fire: |i| {
                i.count(Slot::DeviceAccounts(DeviceSource::Mac), [1, 1, 3]);
            },
            quiet: |i| {
                i.count(Slot::DeviceAccounts(DeviceSource::Idfa), [2, 2, 2]);
            },
        },
        Case {
            rule: "device_token_invalid",
            fire: |i| i.event.device = DeviceCheck::Invalid,
            quiet: |i| i.event.device = DeviceCheck::Valid(VerifiedDevice::default()),
        },
        Case {
            rule: "headless_browser",
            fire: |i| {
                i.event.device = DeviceCheck::Valid(VerifiedDevice {
                    headless: true,
                    ..VerifiedDevice::default()
                })
            },
            quiet: |i| i.event.device = DeviceCheck::Valid(VerifiedDevice::default()),
        },
        Case {
            rule: "device_tampering",
            fire: |i| {
                i.event.device = DeviceCheck::Valid(VerifiedDevice {
                    tampering: true,
                    ..VerifiedDevice::default()
                })
            },
            quiet: |i| i.event.device = DeviceCheck::Valid(VerifiedDevice::default()),
        },
        Case {
            rule: "device_emulated",
            fire: |i| {
                i.event.device = DeviceCheck::Valid(VerifiedDevice {
                    rooted: true,
                    ..VerifiedDevice::default()
                })
            },
            quiet: |i| i.event.device = DeviceCheck::Valid(VerifiedDevice::default()),
        },
        Case {
            rule: "timezone_ip_mismatch",
            fire: |i| {
                i.event.device = DeviceCheck::Valid(VerifiedDevice {
                    timezone_mismatch: true,
                    ..VerifiedDevice::default()
                })
            },
            quiet: |i| i.event.device = DeviceCheck::Valid(VerifiedDevice::default()),
        },
        Case {
            rule: "fingerprint_farm",
            fire: |i| {
                i.event.device = DeviceCheck::Valid(VerifiedDevice {
                    fingerprint_devices: 5,
                    ..VerifiedDevice::default()
                })
            },
            quiet: |i| {
                i.event.device = DeviceCheck::Valid(VerifiedDevice {
                    fingerprint_devices: 4,
                    ..VerifiedDevice::default()
                })
            },
        },
        Case {
            rule: "verified_device_farm",
            fire: |i| {
                i.event.device = DeviceCheck::Valid(VerifiedDevice::default());
                i.count(Slot::DeviceAccounts(DeviceSource::DeviceId), [1, 1, 10]);
            },
            quiet: |i| {
                i.count(Slot::DeviceAccounts(DeviceSource::DeviceId), [1, 1, 10]);
            },
        },
        Case {
            rule: "device_velocity",
            fire: |i| {
                i.count(DEVICE, [2, 10, 10]);
            },
            quiet: |i| {
                i.count(DEVICE, [3, 9, 30]);
            },
        },
        Case {
            rule: "new_device_busy",
            fire: |i| {
                i.count(DEVICE, [4, 4, 4]);
                i.counters.push(
                    Slot::DeviceFirstSeen(DeviceSource::DeviceId),
                    CounterReading::FirstSeen(NOW - 60),
                );
            },
            quiet: |i| {
                i.count(DEVICE, [4, 4, 4]);
                i.counters.push(
                    Slot::DeviceFirstSeen(DeviceSource::DeviceId),
                    CounterReading::FirstSeen(NOW - 600),
                );
            },
        },
        Case {
            rule: "emulator",
            fire: |i| {
                i.event.run_env = Some(5);
                i.event.user_agent = Some(
                    "Mozilla/5.0 (Linux; Android 11; sdk_gphone_x86 Build/RSR1.201013.001)".into(),
                );
            },
            quiet: |i| {
                i.event.run_env = Some(5);
                i.event.user_agent = Some(CHROME_ANDROID.into());
            },
        },
        Case {
            rule: "platform_mismatch",
            fire: |i| {
                i.event.run_env = Some(4);
                i.event.user_agent = Some(CHROME_ANDROID.into());
            },
            quiet: |i| {
                i.event.run_env = Some(4);
                i.event.user_agent = Some(SAFARI_IPHONE.into());
            },
        },
        Case {
            rule: "app_without_device",
            fire: |i| {
                i.event.run_env = Some(4);
                i.event.user_agent = Some(SAFARI_IPHONE.into());
                i.event.device_id = None;
                i.event.idfa = Some("00000000-0000-0000-0000-000000000000".into());
            },
            quiet: |i| {
                i.event.run_env = Some(4);
                i.event.user_agent = Some(SAFARI_IPHONE.into());
                i.event.device_id = None;
                i.event.idfa = Some("1E2DFA89-496A-47FD-9941-DF1FC4E6484A".into());
            },
        },
        Case {
            rule: "too_fast",
            fire: |i| i.event.operating_time = Some(3),
            quiet: |i| i.event.operating_time = Some(4),
        },
        Case {
            rule: "no_interaction",
            fire: |i| {
                login(i);
                i.event.operating_time = Some(0);
                i.event.click_count = Some(0);
                i.event.key_count = Some(0);
            },
            quiet: |i| {
                login(i);
                i.event.operating_time = Some(0);
                i.event.click_count = Some(1);
                i.event.key_count = Some(0);
            },
        },
        Case {
            rule: "no_pointer",
            fire: |i| i.event.move_count = Some(0),
            quiet: |i| {
                i.event.move_count = Some(0);
                i.event.run_env = Some(3);
            },
        },
        Case {
            rule: "no_pointer_fast",
            fire: |i| {
                i.event.move_count = Some(0);
                i.event.operating_time = Some(7);
            },
            quiet: |i| {
                i.event.move_count = Some(0);
                i.event.operating_time = Some(8);
            },
        },
        Case {
            rule: "too_few_inputs",
            fire: |i| {
                i.event.key_count = Some(3);
                i.event.click_count = Some(1);
            },
            quiet: |i| {
                i.event.key_count = Some(4);
                i.event.click_count = Some(1);
            },
        },
        Case {
            rule: "typing_too_fast",
            fire: |i| {
                i.event.key_count = Some(101);
                i.event.operating_time = Some(6);
            },
            quiet: |i| {
                i.event.key_count = Some(90);
                i.event.operating_time = Some(6);
            },
        },
    ]
}

#[test]
fn a_careful_person_fires_no_rule() {
    for input in [Input::clean(), Input::clean_login()] {
        let a = input.assess();
        assert!(a.reasons.is_empty(), "{:?}", fired(&a));
        assert_eq!((a.level, a.score), (0, 0));
        assert!(a.risk_types.is_empty());
    }
}

#[test]
fn every_default_rule_fires_when_triggered_and_not_just_short_of_it() {
    for case in cases() {
        let mut input = Input::clean();
        (case.fire)(&mut input);
        let a = input.assess();
        assert!(
            fired(&a).contains(&case.rule),
            "{} did not fire: {:?}",
            case.rule,
            fired(&a)
        );
        let rule = engine().rules().rule(case.rule).unwrap();
        let reason = a.reasons.iter().find(|r| r.code == case.rule).unwrap();
        assert_eq!(
            (reason.risk_type, reason.score),
            (rule.risk_type, rule.score)
        );
        assert!(a.risk_types.contains(&rule.risk_type) || rule.score <= 0);
        assert!(
            !reason.detail.contains('{'),
            "unrendered reason {:?}",
            reason.detail
        );

        let mut input = Input::clean();
        (case.quiet)(&mut input);
        let a = input.assess();
        assert!(
            !fired(&a).contains(&case.rule),
            "{} fired when it should not",
            case.rule
        );
    }
}

#[test]
fn every_default_rule_has_a_case() {
    let tested: Vec<&str> = cases().iter().map(|c| c.rule).chain(["proxy_ip"]).collect();
    for rule in &engine().rules().rules {
        assert!(
            tested.contains(&rule.id.as_str()),
            "rule {} has no test case",
            rule.id
        );
    }
}

#[test]
fn proxy_ip_fires_for_an_address_in_the_configured_proxy_list() {
    let toml = phoneguard_risk::DEFAULT_RULES_TOML
        .replace("proxy_cidrs = []", "proxy_cidrs = [\"5.6.7.0/24\"]");
    let engine = phoneguard_risk::Engine::new(RuleSet::from_toml(&toml).unwrap());
    let mut input = Input::clean();
    input.event.ip = Some("5.6.7.8".into());
    input.event.x_forward_for = None;
    let a = engine.assess(&input.event, &input.phone, &input.counters, NOW);
    assert!(fired(&a).contains(&"proxy_ip"));
    input.event.ip = Some("5.6.8.8".into());
    let a = engine.assess(&input.event, &input.phone, &input.counters, NOW);
    assert!(!fired(&a).contains(&"proxy_ip"));
}

#[test]
fn reasons_quote_the_event_values() {
    let mut input = Input::clean();
    input.count(Slot::Ip, [7, 23, 40]);
    let a = input.assess();
    let r = a.reasons.iter().find(|r| r.code == "ip_velocity").unwrap();
    assert_eq!(
        r.detail,
        "23 registrations from this IP in 1h (7 in 10 min)"
    );
}

#[test]
fn scores_add_up_to_levels_and_risk_types_are_ordered_by_contribution() {
    let mut input = Input::clean();
    input.event.user_agent = Some("curl/8.4.0".into()); // network 70
    input.event.operating_time = Some(1); // behaviour 35
    input.event.key_count = Some(10);
    input.event.pwd = Some(md5_hex("123456")); // account 18
    let a = input.assess();
    assert_eq!(a.score, 70 + 35 + 18);
    assert_eq!(a.level, 4);
    assert_eq!(a.decision, phoneguard_risk::Decision::Deny);
    assert_eq!(a.risk_types, vec![2, 4, 1]);
}

#[test]
fn a_login_burst_from_an_office_is_not_a_registration_burst() {
    let mut input = Input::clean_login();
    input
        .count(Slot::Ip, [60, 120, 400])
        .count(Slot::IpAccounts, [60, 120, 300]);
    assert!(input.assess().reasons.is_empty());
}
