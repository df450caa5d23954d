//! What every section of the configuration reports when a value is wrong.
//!
//! Each area keeps its own section, defaults and validation in its
//! `settings.rs` (`[verify]` in [`crate::verify::VerifyConfig`], `[risk]` in
//! [`crate::risk::RiskConfig`], …); the whole configuration, its loading
//! (embedded default TOML → file → `PHONEGUARD_…` environment) and the
//! server's own keys are the binary's.

/// A configuration error that names the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key `{key}`: {message}")]
pub struct ConfigError {
    /// Dotted key, e.g. `verify.code_ttl_s`.
    pub key: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl ConfigError {
    /// The error of `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Checks that `v`, the value of `key`, lies in `lo..=hi`.
pub fn range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    if v < lo || v > hi {
        return Err(ConfigError::new(
            key,
            format!("{v} is out of range; expected {lo} to {hi}"),
        ));
    }
    Ok(())
}

/// Reads a decimal setting from a number or from text (`"0.1"`, as the
/// environment gives every value), parsing the text as an `f64` directly so
/// that `0.1` stays `0.1`. Text that is not a finite decimal is refused with a
/// message saying what was expected.
pub fn decimal<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    struct Decimal;
    impl serde::de::Visitor<'_> for Decimal {
        type Value = f64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a decimal number such as 0.5")
        }
        fn visit_f64<E>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_i64<E>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<f64, E> {
            match v.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
            }
        }
    }
    deserializer.deserialize_any(Decimal)
}

/// Shortest secret a configured token may be.
pub const MIN_SECRET_CHARS: usize = 24;
/// Fewest different characters a configured token must use.
pub const MIN_SECRET_DISTINCT: usize = 8;

/// Checks that `v`, the value of the secret `key`, is hard to guess: 24 to 256
/// characters, at least 8 of them different, no spaces or control characters.
/// The message names the key and its environment variable.
pub fn strong_secret(key: &str, v: &str) -> Result<(), ConfigError> {
    let distinct = v.chars().collect::<std::collections::BTreeSet<_>>().len();
    let chars = v.chars().count();
    if !(MIN_SECRET_CHARS..=256).contains(&chars)
        || distinct < MIN_SECRET_DISTINCT
        || v.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        let var = format!("PHONEGUARD_{}", key.replace('.', "__").to_ascii_uppercase());
        return Err(ConfigError::new(
            key,
            format!(
                "too weak: a token must be {MIN_SECRET_CHARS} to 256 characters without \
                 spaces, at least {MIN_SECRET_DISTINCT} of them different (set in the config \
                 file or {var}; generate one with `openssl rand -hex 24`)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct S {
        #[serde(deserialize_with = "super::decimal")]
        x: f64,
    }

    fn read(json: &str) -> Result<f64, String> {
        serde_json::from_str::<S>(json)
            .map(|s| s.x)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_decimal_reads_from_numbers_and_text_without_losing_digits() {
        assert_eq!(read(r#"{"x": 0.1}"#), Ok(0.1));
        assert_eq!(read(r#"{"x": 2}"#), Ok(2.0));
        assert_eq!(read(r#"{"x": "0.1"}"#), Ok(0.1));
        assert_eq!(read(r#"{"x": " 1.5 "}"#), Ok(1.5));
        let err = read(r#"{"x": "half"}"#).unwrap_err();
        assert!(err.contains("a decimal number"), "{err}");
        assert!(read(r#"{"x": "NaN"}"#).is_err());
        assert!(read(r#"{"x": "inf"}"#).is_err());
        assert!(read(r#"{"x": true}"#).is_err());
    }

    #[test]
    fn weak_secrets_are_refused_naming_the_key_and_variable() {
        for weak in [
            "a".repeat(16),
            "a".repeat(40),
            "ab".repeat(20),
            "short".into(),
        ] {
            let e = strong_secret("admin_token", &weak).unwrap_err().to_string();
            assert!(
                e.contains("`admin_token`") && e.contains("PHONEGUARD_ADMIN_TOKEN"),
                "{e}"
            );
        }
        let e = strong_secret("metrics.token", "x").unwrap_err().to_string();
        assert!(e.contains("PHONEGUARD_METRICS__TOKEN"), "{e}");
        let spaced = "adm test token 0123456789abcdef";
        assert!(strong_secret("admin_token", spaced).is_err());
        strong_secret("admin_token", "adm_test_token_0123456789abcdef").unwrap();
        strong_secret("admin_token", "3f9a0c27d84b6e15a2c9f03d7b18e6a4").unwrap();
    }
}
