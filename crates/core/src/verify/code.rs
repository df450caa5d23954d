//! Codes and their keyed hashes, and the message texts that carry them.

use std::collections::BTreeMap;

use rand::Rng;

use crate::secrets::HashKey;

/// Hash domain of codes (and flash-call caller numbers).
pub const OTP_DOMAIN: &str = "otp";

/// A code of `len` decimal digits from the operating system's CSPRNG.
pub fn new_code(len: u32) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// The stored form of a code: HMAC under the server secret, bound to the
/// verification id so a hash cannot be replayed against another verification.
pub fn code_hash(key: &HashKey, verification_id: &str, code: &str) -> String {
    key.hash(OTP_DOMAIN, &format!("{verification_id}:{code}"))
}

/// Whether `code` is the one hashed to `expected`, in constant time.
pub fn code_matches(key: &HashKey, verification_id: &str, code: &str, expected: &str) -> bool {
    key.verify(OTP_DOMAIN, &format!("{verification_id}:{code}"), expected)
}

/// Message texts per channel and locale, with `{code}`, `{ttl_min}` and `{app}`.
#[derive(Debug, Clone)]
pub struct Templates {
    app_name: String,
    overrides: BTreeMap<String, String>,
}

const SMS_ZH: &str = "【{app}】您的验证码是{code}，{ttl_min}分钟内有效。请勿泄露给他人。";
const SMS_EN: &str =
    "[{app}] Your verification code is {code}. It expires in {ttl_min} minutes. Do not share it.";
const VOICE_ZH: &str = "您好，这里是{app}。您的验证码是 {code}。重复一遍，您的验证码是 {code}。";
const VOICE_EN: &str =
    "Hello, this is {app}. Your verification code is {code}. Again, your code is {code}.";

/// Supported locales; anything else falls back to the first.
pub const LOCALES: &[&str] = &["zh-CN", "en"];

/// Normalises a requested locale to a supported one (`en-US` → `en`, `zh` → `zh-CN`).
pub fn normalize_locale(s: Option<&str>) -> Option<&'static str> {
    match s.map(|s| s.trim().to_ascii_lowercase()) {
        None => Some("zh-CN"),
        Some(s) if s == "zh" || s.starts_with("zh-") || s.starts_with("zh_") => Some("zh-CN"),
        Some(s) if s == "en" || s.starts_with("en-") || s.starts_with("en_") => Some("en"),
        Some(_) => None,
    }
}

/// Template keys that may be overridden.
pub const TEMPLATE_KEYS: &[&str] = &["sms.zh-CN", "sms.en", "voice.zh-CN", "voice.en"];

/// A tenant's own message texts (`PUT /v1/admin/tenants/{id}/verify-templates`),
/// laid over the configured ones: its app name and any of [`TEMPLATE_KEYS`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantTemplates {
    /// The name in `{app}`; unset: the configured `verify.app_name`.
    #[serde(default)]
    pub app_name: Option<String>,
    /// Texts keyed `sms.zh-CN`, `sms.en`, `voice.zh-CN`, `voice.en`.
    #[serde(default)]
    pub templates: BTreeMap<String, String>,
}

/// Longest template text (characters); a long SMS splits into many billed parts.
pub const MAX_TEMPLATE_CHARS: usize = 480;

/// Checks one template text, naming what is wrong.
pub fn check_template(key: &str, text: &str) -> Result<(), String> {
    if !TEMPLATE_KEYS.contains(&key) {
        return Err(format!(
            "unknown template {key:?}; expected one of {}",
            TEMPLATE_KEYS.join(", ")
        ));
    }
    if !text.contains("{code}") {
        return Err(format!("template {key} must contain {{code}}"));
    }
    if text.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(format!(
            "template {key} is longer than {MAX_TEMPLATE_CHARS} characters"
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!("template {key} contains control characters"));
    }
    Ok(())
}

impl Templates {
    /// Built-in texts, with overrides keyed `sms.zh-CN`, `voice.en`, … .
    pub fn new(app_name: &str, overrides: BTreeMap<String, String>) -> Self {
        Templates {
            app_name: app_name.to_string(),
            overrides,
        }
    }

    /// These texts with a tenant's own laid over them.
    pub fn for_tenant(&self, t: &TenantTemplates) -> Templates {
        let mut overrides = self.overrides.clone();
        overrides.extend(t.templates.iter().map(|(k, v)| (k.clone(), v.clone())));
        Templates {
            app_name: t.app_name.clone().unwrap_or_else(|| self.app_name.clone()),
            overrides,
        }
    }

    /// The SMS text; an Android SMS Retriever app hash goes on its own last line.
    pub fn sms(&self, locale: &str, code: &str, ttl_min: u64, app_hash: Option<&str>) -> String {
        let base = if locale == "en" { SMS_EN } else { SMS_ZH };
        let mut text = self.render(&format!("sms.{locale}"), base, code, ttl_min);
        if let Some(h) = app_hash {
            text.push('\n');
            text.push_str(h);
        }
        text
    }

    /// The words a voice call speaks: digits apart so TTS reads them one by one.
    pub fn voice(&self, locale: &str, code: &str, ttl_min: u64) -> String {
        let base = if locale == "en" { VOICE_EN } else { VOICE_ZH };
        let spaced: Vec<String> = code.chars().map(String::from).collect();
        let sep = if locale == "en" { ", " } else { " " };
        self.render(&format!("voice.{locale}"), base, &spaced.join(sep), ttl_min)
    }

    fn render(&self, key: &str, base: &str, code: &str, ttl_min: u64) -> String {
        self.overrides
            .get(key)
            .map_or(base, String::as_str)
            .replace("{app}", &self.app_name)
            .replace("{ttl_min}", &ttl_min.to_string())
            .replace("{code}", code)
    }
}

/// Whether `s` is an Android SMS Retriever app hash (11 base64 characters).
pub fn is_app_hash(s: &str) -> bool {
    s.len() == 11
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_asked_length_and_hashes_bind_the_id() {
        let k = HashKey::new(vec![7u8; 32]);
        let c = new_code(8);
        assert_eq!(c.len(), 8);
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
        let h = code_hash(&k, "ver_a", &c);
        assert!(code_matches(&k, "ver_a", &c, &h));
        assert!(!code_matches(&k, "ver_b", &c, &h));
    }

    #[test]
    fn templates_carry_code_ttl_app_and_app_hash() {
        let t = Templates::new("Acme", BTreeMap::new());
        let zh = t.sms("zh-CN", "123456", 10, Some("FA+9qCX9VSu"));
        assert!(zh.starts_with("【Acme】") && zh.contains("123456") && zh.contains("10分钟"));
        assert!(zh.ends_with("\nFA+9qCX9VSu"));
        assert!(t.voice("en", "12", 5).contains("1, 2"));
        assert_eq!(normalize_locale(Some("en-US")), Some("en"));
        assert_eq!(normalize_locale(Some("fr")), None);
        assert!(is_app_hash("FA+9qCX9VSu") && !is_app_hash("short"));
    }

    #[test]
    fn a_tenants_texts_override_the_configured_ones_key_by_key() {
        let base = Templates::new(
            "Acme",
            BTreeMap::from([("sms.en".into(), "{app} {code}".into())]),
        );
        let t = TenantTemplates {
            app_name: Some("Shop".into()),
            templates: BTreeMap::from([("voice.en".into(), "{app} says {code}".into())]),
        };
        let mine = base.for_tenant(&t);
        assert_eq!(mine.sms("en", "42", 1, None), "Shop 42");
        assert_eq!(mine.voice("en", "42", 1), "Shop says 4, 2");
        assert_eq!(base.sms("en", "42", 1, None), "Acme 42");
        assert!(check_template("sms.en", "{code}").is_ok());
        assert!(
            check_template("sms.fr", "{code}")
                .unwrap_err()
                .contains("unknown")
        );
        assert!(
            check_template("sms.en", "no code")
                .unwrap_err()
                .contains("{code}")
        );
        assert!(check_template("sms.en", &"{code}".repeat(100)).is_err());
        assert!(check_template("sms.en", "{code}\u{7}").is_err());
    }
}
