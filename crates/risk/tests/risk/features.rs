//! Every feature takes the value its documentation gives it.

use std::collections::BTreeSet;

use phoneguard_risk::{
    CounterReading, DeviceCheck, DeviceSource, EventKind, Feature, FeatureValue, Slot,
    VerifiedDevice,
};

use crate::common::{CHROME_ANDROID, Input, NOW, SAFARI_IPHONE, engine, md5_hex};
use crate::velocity::velocity_names;

type Setup = fn(&mut Input);

fn value(input: &Input, name: &str) -> FeatureValue {
    let f = engine().features(&input.event, &input.phone, &input.counters, NOW);
    f.by_name(name)
        .unwrap_or_else(|| panic!("no feature {name}"))
        .clone()
}

fn b(v: bool) -> FeatureValue {
    FeatureValue::Bool(v)
}
fn i(v: i64) -> FeatureValue {
    FeatureValue::Int(v)
}
fn s(v: &'static str) -> FeatureValue {
    FeatureValue::from(v)
}

/// (feature, its value for the clean registration, a setup, its value then).
fn cases() -> Vec<(&'static str, FeatureValue, Setup, FeatureValue)> {
    vec![
        (
            "kind",
            s("register"),
            |x| x.event.kind = EventKind::Login,
            s("login"),
        ),
        (
            "is_login",
            b(false),
            |x| x.event.kind = EventKind::Login,
            b(true),
        ),
        ("run_env", i(2), |x| x.event.run_env = None, i(-1)),
        (
            "platform",
            s("web"),
            |x| x.event.run_env = Some(11),
            s("mac_desktop"),
        ),
        ("is_app", b(false), |x| x.event.run_env = Some(8), b(true)),
        (
            "is_desktop",
            b(false),
            |x| x.event.run_env = Some(12),
            b(true),
        ),
        (
            "app_ver_present",
            b(false),
            |x| x.event.app_ver = Some("1.1.0".into()),
            b(true),
        ),
        (
            "referrer_present",
            b(false),
            |x| x.event.referrer = Some("https://a.cn".into()),
            b(true),
        ),
        ("result", i(-1), |x| x.event.result = Some(0), i(0)),
        ("reason", i(-1), |x| x.event.reason = Some(2), i(2)),
        ("login_type", i(-1), |x| x.event.login_type = Some(2), i(2)),
        (
            "failed",
            b(false),
            |x| {
                x.event.kind = EventKind::Login;
                x.event.result = Some(0);
            },
            b(true),
        ),
        (
            "time_skew_s",
            i(0),
            |x| x.event.register_time = Some(NOW as i64 + 300),
            i(300),
        ),
        (
            "account_age_s",
            i(-1),
            |x| {
                x.event.kind = EventKind::Login;
                x.event.register_time = Some(NOW as i64 - 7_200);
            },
            i(7_200),
        ),
        (
            "account_len",
            i(5),
            |x| x.event.account = " 账户一 ".into(),
            i(3),
        ),
        (
            "account_is_md5",
            b(false),
            |x| x.event.account = md5_hex("a").to_uppercase(),
            b(true),
        ),
        ("pwd_present", b(true), |x| x.event.pwd = None, b(false)),
        (
            "pwd_common",
            b(false),
            |x| x.event.pwd = Some(md5_hex("iloveyou")),
            b(true),
        ),
        (
            "email_present",
            b(false),
            |x| x.event.email = Some(md5_hex("a@b.cn")),
            b(true),
        ),
        (
            "email_domain",
            s(""),
            |x| x.event.email = Some("Bob@Example.COM".into()),
            s("example.com"),
        ),
        (
            "email_disposable",
            b(false),
            |x| x.event.email = Some("bob@yopmail.com".into()),
            b(true),
        ),
        (
            "nick_name_present",
            b(false),
            |x| x.event.nick_name = Some("n".into()),
            b(true),
        ),
        (
            "pn_kind",
            s("md5"),
            |x| x.event.pn = Some("+86 139 1234 5678".into()),
            s("number"),
        ),
        (
            "phone_valid",
            b(true),
            |x| {
                x.event.pn = Some("13912345678".into());
                x.phone.valid = false;
            },
            b(false),
        ),
        (
            "phone_network",
            s(""),
            |x| {
                x.event.pn = Some("13912345678".into());
                x.phone.network = Some("mno".into());
            },
            s("mno"),
        ),
        (
            "phone_carrier",
            s(""),
            |x| {
                x.event.pn = Some("13912345678".into());
                x.phone.carrier = Some("cmcc".into());
            },
            s("cmcc"),
        ),
        (
            "phone_mvno",
            b(false),
            |x| {
                x.event.pn = Some("17012345678".into());
                x.phone.network = Some("mvno".into());
            },
            b(true),
        ),
        (
            "phone_iot",
            b(false),
            |x| {
                x.event.pn = Some("14812345678".into());
                x.phone.network = Some("iot".into());
            },
            b(true),
        ),
        (
            "phone_data_only",
            b(false),
            |x| {
                x.event.pn = Some("14512345678".into());
                x.phone.network = Some("data_only".into());
            },
            b(true),
        ),
        (
            "phone_satellite",
            b(false),
            |x| {
                x.event.pn = Some("17491234567".into());
                x.phone.network = Some("satellite".into());
            },
            b(true),
        ),
        (
            "phone_unallocated",
            b(false),
            |x| {
                x.event.pn = Some("10012345678".into());
                x.phone.allocated = false;
            },
            b(true),
        ),
        (
            "phone_line_status",
            s(""),
            |x| {
                x.event.pn = Some("13912345678".into());
                x.phone.line_status = Some("cancelled".into());
            },
            s("cancelled"),
        ),
        (
            "phone_line_bad",
            b(false),
            |x| {
                x.event.pn = Some("13912345678".into());
                x.phone.line_status = Some("pre_cancelled".into());
            },
            b(true),
        ),
        (
            "ip_present",
            b(true),
            |x| x.event.ip = Some("not an ip".into()),
            b(false),
        ),
        (
            "ip_version",
            i(4),
            |x| x.event.ip = Some("2408:8000::1".into()),
            i(6),
        ),
        (
            "ip_private",
            b(false),
            |x| x.event.ip = Some("172.16.5.4".into()),
            b(true),
        ),
        (
            "ip_reserved",
            b(false),
            |x| x.event.ip = Some("::1".into()),
            b(true),
        ),
        (
            "ip_datacenter",
            b(false),
            |x| x.event.ip = Some("139.59.1.2".into()),
            b(true),
        ),
        ("ip_proxy", b(false), |_| {}, b(false)),
        (
            "xff_present",
            b(true),
            |x| x.event.x_forward_for = None,
            b(false),
        ),
        (
            "xff_hops",
            i(1),
            |x| x.event.x_forward_for = Some("58.30.1.7, 10.0.0.1, 10.0.0.2".into()),
            i(3),
        ),
        (
            "xff_malformed",
            b(false),
            |x| x.event.x_forward_for = Some("58.30.1.7, ,".into()),
            b(true),
        ),
        (
            "xff_mismatch",
            b(false),
            |x| x.event.x_forward_for = Some("1.1.1.1".into()),
            b(true),
        ),
        (
            "xff_datacenter",
            b(false),
            |x| x.event.x_forward_for = Some("58.30.1.7, 45.32.1.1".into()),
            b(true),
        ),
        (
            "ua_present",
            b(true),
            |x| x.event.user_agent = Some("  ".into()),
            b(false),
        ),
        (
            "ua_family",
            s("chrome"),
            |x| {
                x.event.user_agent =
                    Some("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0".into())
            },
            s("headless_chrome"),
        ),
        (
            "ua_automation",
            b(false),
            |x| x.event.user_agent = Some("Go-http-client/2.0".into()),
            b(true),
        ),
        (
            "ua_emulator",
            b(false),
            |x| {
                x.event.user_agent = Some(
                    "Dalvik/2.1.0 (Linux; U; Android 9; Android SDK built for x86 Build/PSR1)"
                        .into(),
                )
            },
            b(true),
        ),
        (
            "ua_mobile",
            b(false),
            |x| x.event.user_agent = Some(SAFARI_IPHONE.into()),
            b(true),
        ),
        (
            "platform_mismatch",
            b(false),
            |x| {
                x.event.run_env = Some(11);
                x.event.user_agent = Some(CHROME_ANDROID.into());
            },
            b(true),
        ),
        (
            "device_present",
            b(true),
            |x| {
                x.event.device_id = None;
                x.event.mac = Some("02:00:00:00:00:00".into());
            },
            b(false),
        ),
        (
            "device_id_present",
            b(true),
            |x| x.event.device_id = None,
            b(false),
        ),
        (
            "idfa_null",
            b(false),
            |x| x.event.idfa = Some("00000000-0000-0000-0000-000000000000".into()),
            b(true),
        ),
        (
            "mac_null",
            b(false),
            |x| x.event.mac = Some("00:00:00:00:00:00".into()),
            b(true),
        ),
        (
            "device_age_s",
            i(0),
            |x| {
                x.counters.push(
                    Slot::DeviceFirstSeen(DeviceSource::DeviceId),
                    CounterReading::FirstSeen(NOW - 42),
                );
            },
            i(42),
        ),
        (
            "behaviour_present",
            b(true),
            |x| {
                x.event.move_count = None;
                x.event.click_count = None;
                x.event.key_count = None;
                x.event.operating_time = None;
            },
            b(false),
        ),
        ("move_count", i(120), |x| x.event.move_count = None, i(-1)),
        ("click_count", i(6), |x| x.event.click_count = None, i(-1)),
        ("key_count", i(25), |x| x.event.key_count = None, i(-1)),
        (
            "operating_time",
            i(40),
            |x| x.event.operating_time = None,
            i(-1),
        ),
        (
            "keys_per_s",
            FeatureValue::Float(0.625),
            |x| x.event.operating_time = Some(0),
            FeatureValue::Float(0.0),
        ),
        (
            "device_token_valid",
            b(false),
            |x| x.event.device = DeviceCheck::Valid(VerifiedDevice::default()),
            b(true),
        ),
        (
            "device_token_invalid",
            b(false),
            |x| x.event.device = DeviceCheck::Invalid,
            b(true),
        ),
        (
            "device_id_unverified",
            b(true),
            |x| x.event.device = DeviceCheck::Valid(VerifiedDevice::default()),
            b(false),
        ),
        (
            "device_headless",
            b(false),
            |x| {
                x.event.device = DeviceCheck::Valid(VerifiedDevice {
                    headless: true,
                    ..VerifiedDevice::default()
                })
            },
            b(true),
        ),
        (
            "device_webdriver",
            b(false),
            |x| {
                x.event.device = DeviceCheck::Valid(VerifiedDevice {
                    webdriver: true,
                    ..VerifiedDevice::default()
                })
            },
            b(true),
        ),
        (
            "device_emulator",
            b(false),
            |x| {
                x.event.device = DeviceCheck::Valid(VerifiedDevice {
                    emulator: true,
                    ..VerifiedDevice::default()
                })
            },
            b(true),
        ),
        (
            "device_rooted",
            b(false),
            |x| {
                x.event.device = DeviceCheck::Valid(VerifiedDevice {
                    rooted: true,
                    ..VerifiedDevice::default()
                })
            },
            b(true),
        ),
        (
            "device_tampering",
            b(false),
            |x| {
                x.event.device = DeviceCheck::Valid(VerifiedDevice {
                    tampering: true,
                    ..VerifiedDevice::default()
                })
            },
            b(true),
        ),
        (
            "device_timezone_mismatch",
            b(false),
            |x| {
                x.event.device = DeviceCheck::Valid(VerifiedDevice {
                    timezone_mismatch: true,
                    ..VerifiedDevice::default()
                })
            },
            b(true),
        ),
        (
            "fingerprint_devices",
            i(-1),
            |x| {
                x.event.device = DeviceCheck::Valid(VerifiedDevice {
                    fingerprint_devices: 3,
                    ..VerifiedDevice::default()
                })
            },
            i(3),
        ),
    ]
}

#[test]
fn every_non_velocity_feature_follows_its_input() {
    for (name, clean, setup, changed) in cases() {
        let mut input = Input::clean();
        assert_eq!(value(&input, name), clean, "{name} on the clean event");
        setup(&mut input);
        assert_eq!(value(&input, name), changed, "{name} after its setup");
    }
}

#[test]
fn a_device_without_a_usable_id_has_no_age() {
    let mut input = Input::clean();
    input.event.device_id = None;
    assert_eq!(value(&input, "device_age_s"), i(-1));
}

#[test]
fn every_feature_is_tested() {
    let tested: BTreeSet<&str> = cases()
        .iter()
        .map(|c| c.0)
        .chain(velocity_names())
        .collect();
    let all: BTreeSet<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
    let untested: Vec<_> = all.difference(&tested).collect();
    assert!(untested.is_empty(), "features without a test: {untested:?}");
}

#[test]
fn features_serialize_as_a_flat_object() {
    let f = engine().features(
        &Input::clean().event,
        &Default::default(),
        &Default::default(),
        NOW,
    );
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["kind"], "register");
    assert_eq!(json["ip_events_1h"], 0);
    assert_eq!(json["pwd_common"], false);
    assert_eq!(json.as_object().unwrap().len(), Feature::ALL.len());
}
