//! Device tokens: `dt1.<payload>.<mac>`, both base64url. The payload binds
//! tenant, device id, a prefix of the fingerprint's keyed hash, the expiry,
//! the signal bits and how many devices share the fingerprint; the MAC is
//! HMAC-SHA256 under a key derived from the server's hash secret. No
//! personal data: ids and a keyed hash only.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use super::model::DeviceSignals;
use crate::secrets::{DomainMac, constant_time_eq};

/// Default life of a device token: 30 minutes.
pub const TOKEN_TTL_S: i64 = 30 * 60;

const PREFIX: &str = "dt1.";
/// Longest token read: anything longer is invalid without decoding.
const MAX_TOKEN: usize = 512;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceClaims {
    /// The tenant it was issued to.
    pub tenant_id: String,
    /// `dev_…`
    pub device_id: String,
    /// First 16 hex digits of the fingerprint's keyed hash.
    pub fingerprint: String,
    /// Expiry, Unix seconds.
    pub expires: i64,
    /// The signals at issue.
    pub signals: DeviceSignals,
    /// Devices seen with the fingerprint on the tenant in 30 days, at issue.
    pub fingerprint_devices: u32,
    /// The country of the browser's time zone, when it names one.
    pub timezone_country: Option<crate::geo::Country>,
}

/// Signs claims into a token.
pub fn sign(mac: &DomainMac, c: &DeviceClaims) -> String {
    let tz = c
        .timezone_country
        .map(|cc| String::from_utf8_lossy(&cc).into_owned())
        .unwrap_or_default();
    let payload = format!(
        "{}|{}|{}|{}|{}|{}|{tz}",
        c.tenant_id,
        c.device_id,
        c.fingerprint,
        c.expires,
        c.signals.bits(),
        c.fingerprint_devices
    );
    let body = B64.encode(payload.as_bytes());
    let tag = mac.mac(body.as_bytes());
    format!("{PREFIX}{body}.{}", B64.encode(tag))
}

/// The claims of a token that is well formed, correctly signed and not
/// expired at `now` (Unix seconds); `None` otherwise.
pub fn verify(mac: &DomainMac, token: &str, now: i64) -> Option<DeviceClaims> {
    if token.len() > MAX_TOKEN {
        return None;
    }
    let (body, tag) = token.strip_prefix(PREFIX)?.split_once('.')?;
    let tag = B64.decode(tag).ok()?;
    if !constant_time_eq(&tag, &mac.mac(body.as_bytes())) {
        return None;
    }
    let payload = String::from_utf8(B64.decode(body).ok()?).ok()?;
    let mut it = payload.split('|');
    let claims = DeviceClaims {
        tenant_id: it.next()?.to_string(),
        device_id: it.next()?.to_string(),
        fingerprint: it.next()?.to_string(),
        expires: it.next()?.parse().ok()?,
        signals: DeviceSignals::from_bits(it.next()?.parse().ok()?),
        fingerprint_devices: it.next()?.parse().ok()?,
        // Absent in tokens signed before the field existed (still valid).
        timezone_country: match it.next() {
            None | Some("") => None,
            Some(cc) => Some(<[u8; 2]>::try_from(cc.as_bytes()).ok()?),
        },
    };
    (it.next().is_none() && claims.expires > now).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::HashKey;

    fn claims() -> DeviceClaims {
        DeviceClaims {
            tenant_id: "ten_1".into(),
            device_id: "dev_1".into(),
            fingerprint: "0123456789abcdef".into(),
            expires: 2_000,
            signals: DeviceSignals {
                headless: true,
                ..DeviceSignals::default()
            },
            fingerprint_devices: 3,
            timezone_country: Some(*b"CN"),
        }
    }

    #[test]
    fn a_token_round_trips_until_it_expires() {
        let mac = HashKey::new([7u8; 32].to_vec()).domain_mac("device_token");
        let t = sign(&mac, &claims());
        assert_eq!(verify(&mac, &t, 1_000), Some(claims()));
        assert_eq!(verify(&mac, &t, 2_000), None);
        let no_tz = DeviceClaims {
            timezone_country: None,
            ..claims()
        };
        assert_eq!(verify(&mac, &sign(&mac, &no_tz), 1_000), Some(no_tz));
    }

    #[test]
    fn changed_truncated_or_foreign_tokens_fail() {
        let mac = HashKey::new([7u8; 32].to_vec()).domain_mac("device_token");
        let t = sign(&mac, &claims());
        let mut other = claims();
        other.device_id = "dev_2".into();
        let forged_body = sign(&mac, &other);
        let (_, body_tag) = forged_body.split_once('.').unwrap();
        let (forged, _) = body_tag.split_once('.').unwrap();
        let (_, tag) = t.rsplit_once('.').unwrap();
        assert_eq!(verify(&mac, &format!("dt1.{forged}.{tag}"), 0), None);
        assert_eq!(verify(&mac, &t[..t.len() - 3], 0), None);
        let other_key = HashKey::new([9u8; 32].to_vec()).domain_mac("device_token");
        assert_eq!(verify(&other_key, &t, 0), None);
        assert_eq!(verify(&mac, "dt1.", 0), None);
    }
}
