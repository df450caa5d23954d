//! Realistic raw material: ISP and cloud address ranges, user agents,
//! phone numbers, passwords, device ids.

use md5::{Digest, Md5};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

/// /16s of Chinese residential and mobile ISPs (Telecom, Unicom, Mobile).
const ISP_V4: &[(u8, u8)] = &[
    (58, 30),
    (61, 148),
    (113, 87),
    (116, 224),
    (117, 136),
    (119, 123),
    (120, 229),
    (121, 33),
    (123, 112),
    (180, 160),
    (183, 14),
    (202, 96),
    (221, 216),
    (222, 128),
    (36, 110),
    (39, 144),
    (42, 120),
    (49, 80),
    (110, 80),
    (111, 192),
    (112, 96),
    (114, 80),
    (115, 192),
    (218, 30),
];

/// Cloud /16s inside the default rules' data-centre list (Alibaba, Tencent,
/// AWS, DigitalOcean, Vultr, Hetzner): servers that VPNs and bots rent.
const CLOUD_V4: &[(u8, u8)] = &[
    (47, 74),
    (47, 96),
    (101, 132),
    (43, 132),
    (119, 28),
    (3, 112),
    (54, 80),
    (139, 59),
    (167, 99),
    (45, 32),
    (45, 76),
    (95, 216),
    (159, 69),
];

pub fn isp_ip(rng: &mut StdRng) -> String {
    let (a, b) = *ISP_V4.choose(rng).unwrap();
    format!(
        "{a}.{b}.{}.{}",
        rng.random_range(0..=255),
        rng.random_range(1..=254)
    )
}

pub fn isp_ip6(rng: &mut StdRng) -> String {
    let prefix = ["2408:8207", "240e:3a1", "2409:8a55"].choose(rng).unwrap();
    format!(
        "{prefix}:{:x}:{:x}::{:x}",
        rng.random::<u16>(),
        rng.random::<u16>(),
        rng.random::<u16>()
    )
}

pub fn cloud_ip(rng: &mut StdRng) -> String {
    let (a, b) = *CLOUD_V4.choose(rng).unwrap();
    format!(
        "{a}.{b}.{}.{}",
        rng.random_range(0..=255),
        rng.random_range(1..=254)
    )
}

pub const WEB_UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Edg/119.0.2151.97",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/108.0.5359.125 Safari/537.36 QIHU 360SE",
];

pub const WAP_UAS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2e) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (Linux; Android 13; V2171A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 MicroMessenger/8.0.43",
    "Mozilla/5.0 (Linux; Android 12; M2012K11AC) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Mobile Safari/537.36",
];

pub const IOS_UAS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "ShopApp/5.2.1 (iPhone; iOS 17.1; Scale/3.00)",
];

pub const ANDROID_UAS: &[&str] = &[
    "okhttp/4.11.0",
    "Dalvik/2.1.0 (Linux; U; Android 13; PGT-AN10 Build/HONORPGT-AN10)",
    "Mozilla/5.0 (Linux; Android 14; 23049RAD8C Build/UKQ1.230804.001; wv) AppleWebKit/537.36 Chrome/118.0.0.0 Mobile Safari/537.36",
];

pub const BOT_UAS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "curl/8.4.0",
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
];

const WINDOWS_APP_UAS: &[&str] = &["ShopApp/5.2.1 (Windows NT 10.0; Win64; x64)"];
const MAC_APP_UAS: &[&str] = &["ShopApp/5.2.1 (Macintosh; Intel Mac OS X 14_1)"];
const LINUX_APP_UAS: &[&str] = &["ShopApp/5.2.1 (X11; Linux x86_64)"];

/// A user agent that fits `run_env`.
pub fn ua_for(rng: &mut StdRng, run_env: i64) -> String {
    let list = match run_env {
        3 => WAP_UAS,
        4 | 7 => IOS_UAS,
        5 | 8 => ANDROID_UAS,
        10 => WINDOWS_APP_UAS,
        11 => MAC_APP_UAS,
        12 => LINUX_APP_UAS,
        _ => WEB_UAS,
    };
    (*list.choose(rng).unwrap()).to_owned()
}

/// A Chinese mobile number and its network: carriers' own segments, or
/// virtual-operator (170/171/167/162) and IoT/data (14x) ones.
pub fn phone(rng: &mut StdRng, mvno: f64, iot: f64) -> (String, &'static str) {
    let x: f64 = rng.random();
    let (prefix, network) = if x < iot {
        (
            *["145", "147", "149"].choose(rng).unwrap(),
            if rng.random_bool(0.5) {
                "iot"
            } else {
                "data_only"
            },
        )
    } else if x < iot + mvno {
        (*["170", "171", "167", "162"].choose(rng).unwrap(), "mvno")
    } else {
        (
            *[
                "138", "139", "150", "186", "189", "133", "177", "199", "158", "136",
            ]
            .choose(rng)
            .unwrap(),
            "mno",
        )
    };
    (
        format!("{prefix}{:08}", rng.random_range(0..100_000_000u32)),
        network,
    )
}

/// Passwords on every common list.
pub const COMMON: &[&str] = &[
    "123456",
    "123456789",
    "12345678",
    "password",
    "qwerty123",
    "a123456",
    "woaini1314",
    "5201314",
    "111111",
    "iloveyou",
    "1qaz2wsx",
    "abc123",
    "123123",
    "qq123456",
    "88888888",
    "000000",
];

pub fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// MD5 of a password: common with probability `p`, else a random one.
pub fn password(rng: &mut StdRng, p: f64) -> String {
    if rng.random_bool(p) {
        md5_hex(COMMON.choose(rng).unwrap())
    } else {
        md5_hex(&format!(
            "{:x}-pw-{}",
            rng.random::<u64>(),
            rng.random_range(0..1000)
        ))
    }
}

pub fn uuid(rng: &mut StdRng) -> String {
    let v: u128 = rng.random();
    let h = format!("{v:032X}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A normally distributed sample, clamped at `min`.
pub fn normal(rng: &mut StdRng, mean: f64, sd: f64, min: f64) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random_range(1e-9..1.0), rng.random());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (mean + sd * z).max(min)
}
