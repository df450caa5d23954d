//! People: new users registering and existing ones logging in, on the web,
//! WAP and apps, from home, from offices behind one NAT address, from
//! carrier-grade NAT, a few through VPNs, some sharing a family device.

use phoneguard_risk::{EventKind, PhoneFacts, RiskEvent};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use crate::pools::{cloud_ip, isp_ip, isp_ip6, md5_hex, normal, password, phone, ua_for, uuid};
use crate::{DAY, Labelled};

struct User {
    account: String,
    phone: String,
    network: &'static str,
    pwd: String,
    run_env: i64,
    device: Option<String>,
    idfa: Option<String>,
    ips: Vec<String>,
    registered_at: Option<u64>,
}

fn user(rng: &mut StdRng, offices: &[String], cgnat: &[String], family: Option<&User>) -> User {
    let (phone, network) = phone(rng, 0.04, 0.003);
    let account = if rng.random_bool(0.6) {
        md5_hex(&phone).to_uppercase()
    } else {
        format!("user_{:x}", rng.random::<u32>())
    };
    let run_env = *[2, 2, 2, 3, 4, 4, 5, 5, 5, 7, 8, 10, 11]
        .choose(rng)
        .unwrap();
    let app = (4..=9).contains(&run_env);
    let device = family
        .and_then(|f| f.device.clone())
        .or_else(|| (app || rng.random_bool(0.7)).then(|| uuid(rng)));
    let idfa = (run_env == 4 || run_env == 7).then(|| {
        if rng.random_bool(0.3) {
            uuid(rng)
        } else {
            "00000000-0000-0000-0000-000000000000".into()
        }
    });
    let mut ips = vec![match rng.random_range(0..100) {
        0 => cloud_ip(rng), // a VPN on a rented server
        1..=15 => offices.choose(rng).unwrap().clone(),
        16..=35 if app => cgnat.choose(rng).unwrap().clone(),
        36..=50 if app => isp_ip6(rng),
        _ => isp_ip(rng),
    }];
    if rng.random_bool(0.3) {
        ips.push(if app {
            cgnat.choose(rng).unwrap().clone()
        } else {
            isp_ip(rng)
        });
    }
    User {
        account,
        phone,
        network,
        pwd: password(rng, 0.08),
        run_env,
        device,
        idfa,
        ips,
        registered_at: None,
    }
}

fn event(rng: &mut StdRng, u: &User, kind: EventKind, at: u64, failed: bool) -> Labelled {
    let mut e = RiskEvent {
        kind,
        account: u.account.clone(),
        ..RiskEvent::default()
    };
    e.pn = Some(if rng.random_bool(0.5) {
        md5_hex(&u.phone)
    } else {
        u.phone.clone()
    });
    e.pwd = Some(if failed {
        md5_hex(&format!("typo{}", rng.random::<u16>()))
    } else {
        u.pwd.clone()
    });
    e.run_env = Some(u.run_env);
    e.user_agent = Some(ua_for(rng, u.run_env));
    e.device_id = u.device.clone();
    e.idfa = u.idfa.clone();
    if u.run_env == 5 || u.run_env == 8 {
        e.mac = Some("02:00:00:00:00:00".into());
    }
    let ip = u.ips.choose(rng).unwrap().clone();
    if rng.random_bool(0.4) {
        e.x_forward_for = Some(if rng.random_bool(0.5) {
            ip.clone()
        } else {
            format!(
                "{ip}, 10.8.{}.{}",
                rng.random_range(0..255),
                rng.random_range(1..255)
            )
        });
    }
    e.ip = Some(ip);
    let register = kind == EventKind::Register;
    let pointer = matches!(u.run_env, 2 | 10 | 11 | 12);
    let keyboard_only = pointer && rng.random_bool(0.01);
    let autofill = !register && rng.random_bool(0.2);
    e.move_count = Some(if keyboard_only {
        0
    } else if pointer {
        normal(rng, 150.0, 80.0, 4.0) as i64
    } else {
        normal(rng, 20.0, 15.0, 0.0) as i64
    });
    e.click_count = Some(normal(rng, 6.0, 3.0, 1.0) as i64);
    e.key_count = Some(match (register, autofill) {
        (true, _) => normal(rng, 40.0, 15.0, 8.0) as i64,
        (false, true) => 0,
        (false, false) => normal(rng, 18.0, 6.0, 5.0) as i64,
    });
    e.operating_time = Some(match (register, autofill) {
        (true, _) if rng.random_bool(0.015) => rng.random_range(4..7),
        (true, _) => normal(rng, 70.0, 40.0, 8.0) as i64,
        (false, true) => rng.random_range(1..5),
        (false, false) => normal(rng, 12.0, 8.0, 3.0) as i64,
    });
    e.app_ver = (u.run_env >= 4).then(|| "5.2.1".into());
    let t = i64::try_from(at).unwrap_or_default();
    e.register_time = Some(
        u.registered_at
            .map_or(t - rng.random_range(86_400..86_400 * 900), |r| r as i64),
    );
    if !register {
        e.login_time = Some(t);
        e.login_type = Some(*[0, 0, 0, 1, 2].choose(rng).unwrap());
        e.result = Some(i64::from(!failed));
    } else {
        e.result = Some(1);
        e.reason = Some(0);
    }
    let facts = PhoneFacts {
        network: Some(u.network.into()),
        carrier: Some("cmcc".into()),
        ..PhoneFacts::default()
    };
    Labelled {
        at,
        label: "human",
        event: e,
        phone: facts,
    }
}

/// About `n` events of `n / 3` people over one day from `start`.
pub fn humans(rng: &mut StdRng, start: u64, n: usize) -> Vec<Labelled> {
    let offices: Vec<String> = (0..40).map(|_| isp_ip(rng)).collect();
    let cgnat: Vec<String> = (0..300).map(|_| isp_ip(rng)).collect();
    let mut out = Vec::with_capacity(n + n / 10);
    let mut previous: Option<User> = None;
    while out.len() < n {
        let family = previous.as_ref().filter(|_| rng.random_bool(0.03));
        let mut u = user(rng, &offices, &cgnat, family);
        let mut at = start + rng.random_range(0..DAY - 7_200);
        if rng.random_bool(0.25) {
            u.registered_at = Some(at);
            out.push(event(rng, &u, EventKind::Register, at, false));
            at += rng.random_range(60..3_600);
        }
        for _ in 0..rng.random_range(1..=4) {
            if rng.random_bool(0.06) {
                out.push(event(rng, &u, EventKind::Login, at, true));
                at += rng.random_range(10..60);
            }
            out.push(event(rng, &u, EventKind::Login, at, false));
            at += rng.random_range(600..6 * 3_600);
        }
        previous = Some(u);
    }
    out
}
