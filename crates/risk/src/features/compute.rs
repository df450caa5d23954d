//! Computing every feature of one event.

use super::agent::{classify_user_agent, platform_mismatch};
use super::network::{CidrList, is_private, is_reserved, read_x_forward_for};
use super::{Feature as F, Features};
use crate::counters::{CounterValues, DeviceSource, Slot};
use crate::event::{DeviceCheck, EventKind, RiskEvent, platform_name};
use crate::ident::{client_ip, device_ids, idfa_is_null, mac_is_null};
use crate::passwords::is_common_password_md5;
use crate::phone::{PhoneFacts, PnKind};
use crate::validate::is_hex32;

/// Domains of well-known disposable-mail services.
const DISPOSABLE_DOMAINS: &[&str] = &[
    "10minutemail.com",
    "dispostable.com",
    "getnada.com",
    "guerrillamail.com",
    "mailinator.com",
    "maildrop.cc",
    "mintemail.com",
    "sharklasers.com",
    "temp-mail.org",
    "tempmail.com",
    "throwawaymail.com",
    "trashmail.com",
    "yopmail.com",
    "mohmal.com",
    "emailondeck.com",
    "fakeinbox.com",
];

/// Computes every [`crate::Feature`] of `event`. Inputs that are absent or
/// do not parse give the feature's "not sent" value; this never panics,
/// whether or not the event was validated.
pub fn compute_features(
    event: &RiskEvent,
    phone: &PhoneFacts,
    counters: &CounterValues,
    datacenter: &CidrList,
    proxy: &CidrList,
    now: u64,
) -> Features {
    let mut f = Features::new();
    event_features(&mut f, event, now);
    account_features(&mut f, event, phone);
    network_features(&mut f, event, datacenter, proxy);
    device_features(&mut f, event, counters, now);
    behaviour_features(&mut f, event);
    velocity_features(&mut f, counters);
    f
}

fn event_features(f: &mut Features, e: &RiskEvent, now: u64) {
    let run_env = e.run_env.unwrap_or(-1);
    f.set(F::Kind, e.kind.as_str());
    f.set(F::IsLogin, e.kind == EventKind::Login);
    f.set(F::RunEnv, run_env);
    f.set(F::Platform, platform_name(run_env));
    f.set(F::IsApp, (4..=9).contains(&run_env));
    f.set(F::IsDesktop, (10..=12).contains(&run_env));
    f.set(F::AppVerPresent, e.app_ver.is_some());
    f.set(F::ReferrerPresent, e.referrer.is_some());
    f.set(F::Result, e.result.unwrap_or(-1));
    f.set(F::Reason, e.reason.unwrap_or(-1));
    f.set(F::LoginType, e.login_type.unwrap_or(-1));
    f.set(F::Failed, e.is_failed_login());
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let client_time = match e.kind {
        EventKind::Login => e.login_time,
        EventKind::Register => e.register_time,
    };
    let skew = client_time.map_or(-1, |t| now.saturating_sub(t).saturating_abs());
    f.set(F::TimeSkewS, skew);
    let age = match (e.kind, e.register_time) {
        (EventKind::Login, Some(t)) => now.saturating_sub(t).max(0),
        _ => -1,
    };
    f.set(F::AccountAgeS, age);
}

fn account_features(f: &mut Features, e: &RiskEvent, phone: &PhoneFacts) {
    let account = e.account.trim();
    f.set(F::AccountLen, account.chars().count() as i64);
    f.set(F::AccountIsMd5, is_hex32(account));
    f.set(F::PwdPresent, e.pwd.is_some());
    f.set(
        F::PwdCommon,
        e.pwd.as_deref().is_some_and(is_common_password_md5),
    );
    f.set(F::EmailPresent, e.email.is_some());
    if let Some((_, domain)) = e.email.as_deref().and_then(|m| m.rsplit_once('@')) {
        let domain = domain.trim().to_ascii_lowercase();
        f.set(
            F::EmailDisposable,
            DISPOSABLE_DOMAINS.contains(&domain.as_str()),
        );
        f.set(F::EmailDomain, domain);
    }
    f.set(F::NickNamePresent, e.nick_name.is_some());
    let kind = PnKind::of(e.pn.as_deref());
    f.set(F::PnKind, kind.as_str());
    let known = kind == PnKind::Number;
    let network = phone.network.as_deref().filter(|_| known).unwrap_or("");
    f.set(F::PhoneValid, !known || phone.valid);
    f.set(F::PhoneNetwork, network.to_owned());
    let carrier = phone.carrier.as_deref().filter(|_| known).unwrap_or("");
    f.set(F::PhoneCarrier, carrier.to_owned());
    f.set(F::PhoneMvno, network == "mvno");
    f.set(F::PhoneIot, network == "iot");
    f.set(F::PhoneDataOnly, network == "data_only");
    f.set(F::PhoneSatellite, network == "satellite");
    f.set(F::PhoneUnallocated, known && !phone.allocated);
    let status = phone.line_status.as_deref().filter(|_| known).unwrap_or("");
    f.set(F::PhoneLineStatus, status.to_owned());
    f.set(F::PhoneLineBad, known && phone.line_is_bad());
}

fn network_features(f: &mut Features, e: &RiskEvent, datacenter: &CidrList, proxy: &CidrList) {
    let ip = client_ip(e);
    if let Some(ip) = ip {
        f.set(F::IpPresent, true);
        f.set(F::IpVersion, if ip.is_ipv4() { 4 } else { 6 });
        f.set(F::IpPrivate, is_private(ip));
        f.set(F::IpReserved, is_reserved(ip));
        f.set(F::IpDatacenter, datacenter.contains(ip));
        f.set(F::IpProxy, proxy.contains(ip));
    }
    if let Some(xff) = e.x_forward_for.as_deref() {
        let info = read_x_forward_for(xff);
        let public = || info.ips.iter().any(|h| !is_private(*h) && !is_reserved(*h));
        f.set(F::XffPresent, true);
        f.set(F::XffHops, info.hops as i64);
        f.set(F::XffMalformed, info.malformed);
        f.set(
            F::XffMismatch,
            ip.is_some_and(|ip| !info.ips.contains(&ip)) && public(),
        );
        let listed = info
            .ips
            .iter()
            .any(|h| datacenter.contains(*h) || proxy.contains(*h));
        f.set(F::XffDatacenter, listed);
    }
    let ua = e.user_agent.as_deref().unwrap_or("");
    let agent = classify_user_agent(ua);
    f.set(F::UaPresent, !ua.trim().is_empty());
    f.set(F::UaFamily, agent.family);
    f.set(F::UaAutomation, agent.automation);
    f.set(F::UaEmulator, agent.emulator);
    f.set(F::UaMobile, agent.mobile);
    f.set(
        F::PlatformMismatch,
        platform_mismatch(e.run_env.unwrap_or(-1), agent.os),
    );
}

fn device_features(f: &mut Features, e: &RiskEvent, counters: &CounterValues, now: u64) {
    let ids = device_ids(e);
    f.set(F::DevicePresent, !ids.is_empty());
    f.set(
        F::DeviceIdPresent,
        e.device_id.as_deref().is_some_and(|d| !d.trim().is_empty()),
    );
    f.set(F::IdfaNull, e.idfa.as_deref().is_some_and(idfa_is_null));
    f.set(F::MacNull, e.mac.as_deref().is_some_and(mac_is_null));
    token_features(f, e);
    // The oldest sighting over the device's identifiers.
    let first = ids
        .iter()
        .filter_map(|(source, _)| counters.first_seen(Slot::DeviceFirstSeen(*source)))
        .min();
    let age = match first {
        Some(t) => i64::try_from(now.saturating_sub(t)).unwrap_or(i64::MAX),
        None if ids.is_empty() => -1,
        None => 0,
    };
    f.set(F::DeviceAgeS, age);
}

fn token_features(f: &mut Features, e: &RiskEvent) {
    let sent_id = e.device_id.as_deref().is_some_and(|d| !d.trim().is_empty());
    match &e.device {
        DeviceCheck::Valid(d) => {
            f.set(F::DeviceTokenValid, true);
            f.set(F::DeviceHeadless, d.headless);
            f.set(F::DeviceWebdriver, d.webdriver);
            f.set(F::DeviceEmulator, d.emulator);
            f.set(F::DeviceRooted, d.rooted);
            f.set(F::DeviceTampering, d.tampering);
            f.set(F::FingerprintDevices, d.fingerprint_devices);
            f.set(F::DeviceTimezoneMismatch, d.timezone_mismatch);
        }
        DeviceCheck::Invalid => {
            f.set(F::DeviceTokenInvalid, true);
            f.set(F::DeviceIdUnverified, sent_id);
            f.set(F::FingerprintDevices, -1);
        }
        DeviceCheck::Absent => {
            f.set(F::DeviceIdUnverified, sent_id);
            f.set(F::FingerprintDevices, -1);
        }
    }
}

fn behaviour_features(f: &mut Features, e: &RiskEvent) {
    let present = [e.move_count, e.click_count, e.key_count, e.operating_time]
        .iter()
        .any(Option::is_some);
    f.set(F::BehaviourPresent, present);
    f.set(F::MoveCount, e.move_count.unwrap_or(-1));
    f.set(F::ClickCount, e.click_count.unwrap_or(-1));
    f.set(F::KeyCount, e.key_count.unwrap_or(-1));
    f.set(F::OperatingTime, e.operating_time.unwrap_or(-1));
    let rate = match (e.key_count, e.operating_time) {
        (Some(k), Some(t)) if k > 0 && t > 0 => k as f64 / t as f64,
        _ => 0.0,
    };
    f.set(F::KeysPerS, rate);
}

fn velocity_features(f: &mut Features, c: &CounterValues) {
    const DEVICES: [DeviceSource; 3] = [
        DeviceSource::DeviceId,
        DeviceSource::Idfa,
        DeviceSource::Mac,
    ];
    let max_of = |slots: [Slot; 3]| {
        let mut w = [0u64; 3];
        for slot in slots {
            for (m, v) in w.iter_mut().zip(c.windows(slot)) {
                *m = (*m).max(v);
            }
        }
        w
    };
    let rows: [([u64; 3], F); 13] = [
        (c.windows(Slot::Ip), F::IpEvents10m),
        (c.windows(Slot::Subnet), F::SubnetEvents10m),
        (max_of(DEVICES.map(Slot::Device)), F::DeviceEvents10m),
        (c.windows(Slot::Account), F::AccountEvents10m),
        (c.windows(Slot::Phone), F::PhoneEvents10m),
        (c.windows(Slot::IpAccounts), F::IpAccounts10m),
        (c.windows(Slot::SubnetAccounts), F::SubnetAccounts10m),
        (
            max_of(DEVICES.map(Slot::DeviceAccounts)),
            F::DeviceAccounts10m,
        ),
        (c.windows(Slot::PhoneAccounts), F::PhoneAccounts10m),
        (c.windows(Slot::AccountIps), F::AccountIps10m),
        (c.windows(Slot::AccountFailures), F::AccountFailures10m),
        (c.windows(Slot::IpFailures), F::IpFailures10m),
        (c.windows(Slot::IpFailedAccounts), F::IpFailedAccounts10m),
    ];
    for (windows, first) in rows {
        // The catalogue lists each counter's 10 min, 1 h and 24 h features
        // one after the other.
        for (offset, count) in windows.into_iter().enumerate() {
            let feature = F::ALL[first as usize + offset];
            f.set(feature, i64::try_from(count).unwrap_or(i64::MAX));
        }
    }
}
