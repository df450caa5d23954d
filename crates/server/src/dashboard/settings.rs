//! The `[dashboard]` section of the configuration: admin sessions of the pages
//! this module serves.

use serde::Deserialize;

use phoneguard_core::config::{ConfigError, range};

/// `[dashboard]`: admin sessions of `/dashboard`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Seconds a session lasts after login.
    pub session_ttl_s: u64,
    /// Mark the session cookie `Secure` (set it when served over HTTPS).
    pub secure_cookie: bool,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            session_ttl_s: 8 * 3600,
            secure_cookie: false,
        }
    }
}

impl DashboardConfig {
    /// Checks the `[dashboard]` keys, naming the one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        range(
            "dashboard.session_ttl_s",
            self.session_ttl_s,
            60,
            30 * 86_400,
        )
    }
}
