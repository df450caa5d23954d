//! Attacks, each as its operators run it: registration bursts from one
//! address, device farms, headless bots, credential stuffing through a few
//! proxies, slow distributed sign-ups from rented servers, and bots that
//! forge device tokens or drive the device SDK headless.

use phoneguard_risk::{DeviceCheck, EventKind, PhoneFacts, RiskEvent, VerifiedDevice};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use crate::pools::{
    ANDROID_UAS, BOT_UAS, WEB_UAS, cloud_ip, isp_ip, isp_ip6, md5_hex, normal, password, phone,
    uuid,
};
use crate::{DAY, Labelled};

/// A fresh account registered with a number from an SMS-receiving service.
fn sign_up(
    rng: &mut StdRng,
    label: &'static str,
    at: u64,
    ip: String,
    mvno: f64,
    iot: f64,
) -> Labelled {
    let (number, network) = phone(rng, mvno, iot);
    let mut e = RiskEvent::register(if rng.random_bool(0.5) {
        md5_hex(&number).to_uppercase()
    } else {
        format!("u{:x}", rng.random::<u32>())
    });
    e.pn = Some(if rng.random_bool(0.5) {
        md5_hex(&number)
    } else {
        number
    });
    e.ip = Some(ip);
    e.register_time = Some(at as i64);
    e.result = Some(1);
    e.reason = Some(0);
    let phone = PhoneFacts {
        network: Some(network.into()),
        ..PhoneFacts::default()
    };
    Labelled {
        at,
        label,
        event: e,
        phone,
    }
}

/// Scripted form filling that imitates a person, roughly.
fn scripted(rng: &mut StdRng, e: &mut RiskEvent, moves: f64, op: f64) {
    e.move_count = Some(normal(rng, moves, moves / 2.0, 0.0) as i64);
    e.click_count = Some(normal(rng, 4.0, 1.5, 1.0) as i64);
    e.key_count = Some(normal(rng, 25.0, 8.0, 6.0) as i64);
    e.operating_time = Some(normal(rng, op, op / 3.0, 2.0) as i64);
}

/// `bursts` bursts of 80–200 sign-ups, 5–30 s apart, each from one home
/// or mobile-hotspot address.
pub fn bursts(rng: &mut StdRng, start: u64, bursts: usize) -> Vec<Labelled> {
    let mut out = Vec::new();
    for _ in 0..bursts {
        let ip = isp_ip(rng);
        let mut at = start + rng.random_range(0..DAY - 7_200);
        for _ in 0..rng.random_range(80..=200) {
            let mut l = sign_up(rng, "registration_burst", at, ip.clone(), 0.6, 0.15);
            l.event.pwd = Some(password(rng, 0.5));
            l.event.run_env = Some(2);
            l.event.user_agent = Some((*WEB_UAS.choose(rng).unwrap()).into());
            l.event.device_id = rng.random_bool(0.5).then(|| uuid(rng));
            scripted(rng, &mut l.event, 25.0, 12.0);
            out.push(l);
            at += rng.random_range(5..30);
        }
    }
    out
}

/// `devices` real Android phones, each registering `per_device` accounts
/// through rotating mobile proxies, tapped by a script.
pub fn device_farm(
    rng: &mut StdRng,
    start: u64,
    devices: usize,
    per_device: usize,
) -> Vec<Labelled> {
    let mut out = Vec::new();
    for _ in 0..devices {
        let device = uuid(rng);
        let ua = *ANDROID_UAS.choose(rng).unwrap();
        let mut at = start + rng.random_range(0..DAY / 2);
        for _ in 0..per_device {
            let ip = if rng.random_bool(0.2) {
                isp_ip6(rng)
            } else {
                isp_ip(rng)
            };
            let mut l = sign_up(rng, "device_farm", at, ip, 0.5, 0.2);
            l.event.pwd = Some(password(rng, 0.3));
            l.event.run_env = Some(5);
            l.event.user_agent = Some(ua.into());
            l.event.device_id = Some(device.clone());
            l.event.mac = Some("02:00:00:00:00:00".into());
            l.event.app_ver = Some("5.2.1".into());
            scripted(rng, &mut l.event, 10.0, 25.0);
            out.push(l);
            at += rng.random_range(300..1_800);
        }
    }
    out
}

/// Headless browsers and HTTP scripts, most naming themselves in the user
/// agent, the others posing as Chrome; half from rented servers.
pub fn headless_bots(rng: &mut StdRng, start: u64, n: usize) -> Vec<Labelled> {
    (0..n)
        .map(|_| {
            let at = start + rng.random_range(0..DAY);
            let ip = if rng.random_bool(0.5) {
                cloud_ip(rng)
            } else {
                isp_ip(rng)
            };
            let mut l = sign_up(rng, "headless_bot", at, ip, 0.4, 0.1);
            let e = &mut l.event;
            if rng.random_bool(0.3) {
                e.kind = EventKind::Login;
                e.login_time = Some(at as i64);
                e.result = Some(i64::from(rng.random_bool(0.5)));
            }
            e.pwd = Some(password(rng, 0.3));
            e.run_env = Some(2);
            e.user_agent = Some(
                (*if rng.random_bool(0.6) {
                    BOT_UAS
                } else {
                    WEB_UAS
                }
                .choose(rng)
                .unwrap())
                .into(),
            );
            e.move_count = Some(0);
            e.click_count = Some(rng.random_range(0..3));
            e.key_count = Some(if rng.random_bool(0.5) {
                rng.random_range(10..30)
            } else {
                0
            });
            e.operating_time = Some(rng.random_range(0..7));
            e.device_id = rng.random_bool(0.3).then(|| uuid(rng));
            l
        })
        .collect()
}

/// Leaked account/password pairs replayed through `ips` proxies, `per_ip`
/// logins each over about 90 minutes; 3 % of the pairs still work.
pub fn credential_stuffing(
    rng: &mut StdRng,
    start: u64,
    ips: usize,
    per_ip: usize,
) -> Vec<Labelled> {
    let mut out = Vec::new();
    for _ in 0..ips {
        let ip = isp_ip(rng);
        let begin = start + rng.random_range(0..DAY - 7_200);
        for _ in 0..per_ip {
            let at = begin + rng.random_range(0..5_400);
            let mut e =
                RiskEvent::login(md5_hex(&format!("victim{}", rng.random::<u32>())).to_uppercase());
            e.ip = Some(ip.clone());
            e.pwd = Some(password(rng, 0.05));
            e.login_time = Some(at as i64);
            e.login_type = Some(0);
            e.result = Some(i64::from(rng.random_bool(0.03)));
            let app = rng.random_bool(0.5);
            e.run_env = Some(if app { 5 } else { 2 });
            e.user_agent =
                Some((*if app { ANDROID_UAS } else { WEB_UAS }.choose(rng).unwrap()).into());
            e.device_id = rng.random_bool(0.5).then(|| uuid(rng));
            if rng.random_bool(0.5) {
                scripted(rng, &mut e, 15.0, 5.0);
            }
            out.push(Labelled {
                at,
                label: "credential_stuffing",
                event: e,
                phone: PhoneFacts::default(),
            });
        }
    }
    out
}

/// Sign-ups trickling in all day, each from another rented server address
/// (ranges that look residential to a naive check), one or two per address.
pub fn slow_distributed(rng: &mut StdRng, start: u64, n: usize) -> Vec<Labelled> {
    let mut out = Vec::new();
    while out.len() < n {
        let ip = cloud_ip(rng);
        for _ in 0..rng.random_range(1..=2) {
            let at = start + rng.random_range(0..DAY);
            let mut l = sign_up(rng, "slow_distributed", at, ip.clone(), 0.5, 0.1);
            l.event.pwd = Some(password(rng, 0.3));
            l.event.run_env = Some(2);
            l.event.user_agent = Some((*WEB_UAS.choose(rng).unwrap()).into());
            l.event.device_id = Some(uuid(rng));
            l.event.x_forward_for = rng
                .random_bool(0.3)
                .then(|| l.event.ip.clone().unwrap_or_default());
            scripted(rng, &mut l.event, 60.0, 14.0);
            out.push(l);
        }
    }
    out
}

/// Bots against device identity (issue 21): half forge device tokens
/// (made up, edited, expired or another tenant's — the server finds them
/// invalid), half drive a real browser headless through the SDK and carry a
/// valid token whose signals say so; each posing as an ordinary Chrome with
/// a fresh random device id.
pub fn token_bots(rng: &mut StdRng, start: u64, n: usize) -> Vec<Labelled> {
    (0..n)
        .map(|_| {
            let at = start + rng.random_range(0..DAY);
            let ip = if rng.random_bool(0.3) {
                cloud_ip(rng)
            } else {
                isp_ip(rng)
            };
            let forger = rng.random_bool(0.5);
            let mut l = sign_up(
                rng,
                if forger {
                    "token_forger"
                } else {
                    "headless_sdk"
                },
                at,
                ip,
                0.3,
                0.05,
            );
            let e = &mut l.event;
            e.pwd = Some(password(rng, 0.2));
            e.run_env = Some(2);
            e.user_agent = Some((*WEB_UAS.choose(rng).unwrap()).into());
            scripted(rng, e, 40.0, 20.0);
            e.device_id = Some(format!("dev_{}", uuid(rng).replace('-', "").to_lowercase()));
            e.device_token = Some(format!("dt1.{}", uuid(rng)));
            e.device = if forger {
                DeviceCheck::Invalid
            } else {
                DeviceCheck::Valid(VerifiedDevice {
                    headless: true,
                    webdriver: rng.random_bool(0.7),
                    fingerprint_devices: 1,
                    ..VerifiedDevice::default()
                })
            };
            l
        })
        .collect()
}
