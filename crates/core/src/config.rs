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
