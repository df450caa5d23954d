//! Field-by-field validation of a [`RiskEvent`], each error naming its field.

use std::net::IpAddr;

use crate::event::{FieldError, RiskEvent};

/// Latest accepted Unix time, 2100-01-01T00:00:00Z: larger values are
/// almost always milliseconds.
pub const MAX_UNIX_TIME: i64 = 4_102_444_800;

/// Most events a client can report for one form (moves, clicks, keys).
pub const MAX_INPUT_EVENTS: i64 = 1_000_000;

/// Longest accepted `operating_time`, one day in seconds.
pub const MAX_OPERATING_TIME: i64 = 86_400;

impl RiskEvent {
    /// Checks every field; on failure returns all the errors, in field
    /// order, each naming its field (`{field: "run_env", message: "must be
    /// an integer from 2 to 12"}`), unreadable values first.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = self.unreadable.clone();
        let mut check = |field: &'static str, ok: bool, message: &str| {
            if !ok && !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, message));
            }
        };
        let account = self.account.trim();
        check("account", !account.is_empty(), "is required");
        check(
            "account",
            chars(account) <= 128,
            "must be at most 128 characters",
        );
        if let Some(email) = &self.email {
            let ok = chars(email) <= 254 && (is_hex32(email) || looks_like_email(email));
            check("email", ok, "must be an e-mail address or its 32-hex MD5");
        }
        if let Some(pn) = &self.pn {
            let ok = is_hex32(pn) || looks_like_phone(pn);
            check("pn", ok, "must be a phone number or the 32-hex MD5 of one");
        }
        if let Some(pwd) = &self.pwd {
            check(
                "pwd",
                is_hex32(pwd),
                "must be the 32-hex MD5 of the password",
            );
        }
        let times = "must be a Unix time in seconds, from 0 to 4102444800";
        check(
            "register_time",
            in_range(self.register_time, 0, MAX_UNIX_TIME),
            times,
        );
        check(
            "login_time",
            in_range(self.login_time, 0, MAX_UNIX_TIME),
            times,
        );
        let run_env = in_range(self.run_env, 2, 12);
        check("run_env", run_env, "must be an integer from 2 to 12");
        let counts = "must be an integer from 0 to 1000000";
        check(
            "move_count",
            in_range(self.move_count, 0, MAX_INPUT_EVENTS),
            counts,
        );
        check(
            "click_count",
            in_range(self.click_count, 0, MAX_INPUT_EVENTS),
            counts,
        );
        check(
            "key_count",
            in_range(self.key_count, 0, MAX_INPUT_EVENTS),
            counts,
        );
        let op = in_range(self.operating_time, 0, MAX_OPERATING_TIME);
        check("operating_time", op, "must be seconds, from 0 to 86400");
        if let Some(ip) = &self.ip {
            let ok = ip.trim().parse::<IpAddr>().is_ok();
            check("ip", ok, "must be an IPv4 or IPv6 address");
        }
        for (field, value, max) in [
            ("nick_name", &self.nick_name, 64),
            ("app_ver", &self.app_ver, 64),
            ("mac", &self.mac, 64),
            ("idfa", &self.idfa, 64),
            ("device_id", &self.device_id, 128),
            ("device_token", &self.device_token, 512),
            ("referrer", &self.referrer, 2048),
            ("user_agent", &self.user_agent, 1024),
            ("x_forward_for", &self.x_forward_for, 2048),
        ] {
            let ok = value.as_deref().is_none_or(|v| chars(v) <= max);
            check(field, ok, &format!("must be at most {max} characters"));
        }
        check(
            "result",
            in_range(self.result, 0, 1),
            "must be 0 (failure) or 1 (success)",
        );
        check(
            "reason",
            in_range(self.reason, 0, 3),
            "must be an integer from 0 to 3",
        );
        check(
            "login_type",
            in_range(self.login_type, 0, 2),
            "must be an integer from 0 to 2",
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn in_range(value: Option<i64>, min: i64, max: i64) -> bool {
    value.is_none_or(|v| (min..=max).contains(&v))
}

/// Whether `s` is exactly 32 hexadecimal digits, either case (an MD5).
pub fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn looks_like_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// A phone number in any common writing: digits with `+ - ( ) .` and
/// spaces, 5 to 20 digits.
pub(crate) fn looks_like_phone(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    (5..=20).contains(&digits)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'(' | b')' | b'.' | b' '))
}
