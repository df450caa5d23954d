//! The `[auth]` and `[metrics]` sections of the configuration: throttling of
//! failed admin authentication and who may read `/metrics`.

use phoneguard_core::config::{ConfigError, range, strong_secret};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// `[auth]`: failed admin authentication (admin API, dashboard login,
/// `/metrics`) allowed per client address before it is answered 429.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Failed attempts a client address may make within `window_s`.
    pub max_failures: u32,
    /// Seconds of the window; the address may try again when it ends.
    pub window_s: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            max_failures: 10,
            window_s: 300,
        }
    }
}

impl AuthConfig {
    /// Checks the `[auth]` keys, naming the one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        range("auth.max_failures", self.max_failures, 1, 10_000)?;
        range("auth.window_s", self.window_s, 1, 86_400)
    }
}

/// `[metrics]`: who may read `/metrics` (its labels name tenants and suppliers).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// A bearer token for scrapers (`Authorization: Bearer <token>`); the admin
    /// token is accepted too.
    pub token: Option<SecretString>,
    /// Serve `/metrics` to anyone (only behind a network that keeps others out).
    pub public: bool,
}

impl MetricsConfig {
    /// Checks the `[metrics]` keys, naming the one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(t) = &self.token {
            strong_secret("metrics.token", t.expose_secret())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_key() {
        let mut a = AuthConfig::default();
        a.validate().unwrap();
        a.max_failures = 0;
        assert_eq!(a.validate().unwrap_err().key, "auth.max_failures");
        let a = AuthConfig {
            window_s: 0,
            ..Default::default()
        };
        assert_eq!(a.validate().unwrap_err().key, "auth.window_s");
        let m = MetricsConfig {
            token: Some("a".repeat(16).into()),
            public: false,
        };
        assert_eq!(m.validate().unwrap_err().key, "metrics.token");
    }
}
