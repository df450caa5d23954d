//! The configuration model: every section and key, their defaults and validation.
//!
//! Loading (embedded default TOML → file → `PHONEGUARD_…` environment) is the
//! binary's job; this module only says what a valid configuration is.

use serde::Deserialize;

/// The whole configuration. Unknown keys are refused so a typo names itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, `host:port`.
    pub listen: String,
    /// `sqlite://FILE` (embedded default) or `postgres://…`.
    pub database_url: String,
    /// `redis://…` for shared counters; unset: in-process counters.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, one per deployment sharing a Redis; unset: `phoneguard`.
    #[serde(default)]
    pub redis_prefix: Option<String>,
    /// Admin token; unset: one is generated on first start and printed once.
    #[serde(default)]
    pub admin_token: Option<String>,
    /// Master key (32 bytes as 64 hex characters or base64) that encrypts supplier credentials.
    #[serde(default)]
    pub master_key: Option<String>,
    /// Secret under which keys, tokens and codes are hashed (≥ 32 characters);
    /// unset: generated on first start and kept in the database.
    #[serde(default)]
    pub hash_secret: Option<String>,
    /// HTTP limits and behaviour.
    pub http: HttpConfig,
    /// Logging.
    pub log: LogConfig,
    /// Verification (OTP) limits.
    pub verify: VerifyConfig,
    /// Risk engine.
    pub risk: RiskConfig,
    /// Supplier routing: deadline, breaker, health, hedging.
    #[serde(default)]
    pub router: crate::suppliers::RouterConfig,
    /// Suppliers seeded into the database at start.
    #[serde(default)]
    pub suppliers: crate::suppliers::SuppliersConfig,
    /// Default rate limits and daily quotas of tenants.
    #[serde(default)]
    pub limits: crate::limits::LimitsConfig,
    /// Admin sessions of `/dashboard`.
    #[serde(default)]
    pub dashboard: crate::dashboard::DashboardConfig,
}

/// `[risk]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// A rules TOML file; unset: the shipped default rules. Reloaded on SIGHUP.
    #[serde(default)]
    pub rules_file: Option<String>,
    /// Days a risk result stays readable by its token.
    pub result_retention_days: u32,
    /// Seconds between purges of expired results.
    pub purge_interval_s: u64,
    /// Ask a status supplier for the line status of an event's `pn` (when it is a
    /// plain number) before assessing; costs one supplier call per such event.
    #[serde(default)]
    pub line_status: bool,
    /// Longest wait for that answer (ms); past it the event is assessed without it.
    #[serde(default = "default_line_status_timeout_ms")]
    pub line_status_timeout_ms: u64,
}

fn default_line_status_timeout_ms() -> u64 {
    800
}

/// `[http]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest accepted request body in bytes (API.md: 64 KiB).
    pub max_body_bytes: usize,
    /// A request taking longer is answered 503.
    pub request_timeout_s: u64,
    /// How long a resolved API key is trusted before it is read again.
    pub key_cache_ttl_s: u64,
    /// Seconds to finish in-flight requests after SIGTERM.
    pub shutdown_grace_s: u64,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `phoneguard=debug,info`.
    pub level: String,
}

/// `[verify]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// Lifetime of a code.
    pub code_ttl_s: u64,
    /// Wrong checks before `max_attempts_reached`.
    pub max_check_attempts: u32,
    /// Minimum seconds between two sends to one verification.
    pub resend_cooldown_s: u64,
    /// Sends to one phone within `send_window_s`.
    pub max_sends_per_phone: u32,
    /// The window of `max_sends_per_phone`.
    pub send_window_s: u64,
    /// Codes one tenant may send per minute.
    #[serde(default = "crate::verify::settings::d_tenant_sends_per_minute")]
    pub tenant_sends_per_minute: u32,
    /// Codes sent for one end-user IP (`ip` of the request) per minute.
    #[serde(default = "crate::verify::settings::d_ip_sends_per_minute")]
    pub ip_sends_per_minute: u32,
    /// SMS-pumping guard: codes one tenant may send to one country per minute.
    #[serde(default = "crate::verify::settings::d_country_sends_per_minute")]
    pub country_sends_per_minute: u32,
    /// SMS-pumping guard: codes one tenant may send to one 7-digit prefix per hour.
    #[serde(default = "crate::verify::settings::d_prefix_sends_per_hour")]
    pub prefix_sends_per_hour: u32,
    /// Destination countries (ISO 3166) a tenant may send to, unless set per tenant.
    #[serde(default = "crate::verify::settings::d_allowed_countries")]
    pub allowed_countries: Vec<String>,
    /// How long a terminal's excluded suppliers (failover mappings) are kept.
    #[serde(default = "crate::verify::settings::d_failover_ttl_s")]
    pub failover_ttl_s: u64,
    /// How long the app listens for a flash call.
    #[serde(default = "crate::verify::settings::d_flash_call_window_s")]
    pub flash_call_window_s: u64,
    /// Moving window of per supplier × carrier conversion.
    #[serde(default = "crate::verify::settings::d_conversion_window_s")]
    pub conversion_window_s: u64,
    /// Smallest conversion factor a supplier's weight is multiplied by.
    #[serde(default = "crate::verify::settings::d_conversion_floor")]
    pub conversion_floor: f64,
    /// Conversion assumed for a supplier without traffic.
    #[serde(default = "crate::verify::settings::d_conversion_prior")]
    pub conversion_prior: f64,
    /// How many sends the prior counts as.
    #[serde(default = "crate::verify::settings::d_conversion_prior_weight")]
    pub conversion_prior_weight: f64,
    /// App name in message templates.
    #[serde(default = "crate::verify::settings::d_app_name")]
    pub app_name: String,
    /// Template overrides: `sms.zh-CN`, `sms.en`, `voice.zh-CN`, `voice.en`.
    #[serde(default)]
    pub templates: std::collections::BTreeMap<String, String>,
    /// Messages and calls the sandbox outbox keeps (a ring).
    #[serde(default = "crate::verify::settings::d_outbox_capacity")]
    pub outbox_capacity: usize,
}

/// A configuration error that names the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config key `{key}`: {message}")]
pub struct ConfigError {
    /// Dotted key, e.g. `verify.code_ttl_s`.
    pub key: String,
    /// What is wrong and what is expected.
    pub message: String,
}

fn err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
}

fn range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    if v < lo || v > hi {
        return Err(err(
            key,
            format!("{v} is out of range; expected {lo} to {hi}"),
        ));
    }
    Ok(())
}

impl Config {
    /// Checks every value; the first problem found is returned, naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(err(
                "listen",
                format!("{:?} is not host:port (e.g. 127.0.0.1:8080)", self.listen),
            ));
        }
        let db = self.database_url.as_str();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(err(
                "database_url",
                "expected sqlite://FILE or postgres://USER@HOST/DB",
            ));
        }
        if let Some(r) = &self.redis_url
            && !(r.starts_with("redis://") || r.starts_with("rediss://"))
        {
            return Err(err("redis_url", "expected redis://HOST:PORT or rediss://…"));
        }
        if let Some(p) = &self.redis_prefix
            && (p.is_empty()
                || p.len() > 64
                || !p
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
        {
            return Err(err(
                "redis_prefix",
                "expected 1–64 characters of letters, digits, `_`, `-` or `.`",
            ));
        }
        if let Some(t) = &self.admin_token
            && (t.len() < 16
                || t.len() > 256
                || t.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(err(
                "admin_token",
                "must be 16 to 256 characters without spaces",
            ));
        }
        if let Some(s) = &self.hash_secret
            && s.len() < 32
        {
            return Err(err("hash_secret", "must be at least 32 characters"));
        }
        if let Some(k) = &self.master_key
            && crate::secrets::decode_master_key(k).is_none()
        {
            return Err(err(
                "master_key",
                "must be 32 bytes as 64 hex characters or base64",
            ));
        }
        range(
            "http.max_body_bytes",
            self.http.max_body_bytes,
            1024,
            16 * 1024 * 1024,
        )?;
        range(
            "http.request_timeout_s",
            self.http.request_timeout_s,
            1,
            600,
        )?;
        range("http.key_cache_ttl_s", self.http.key_cache_ttl_s, 0, 3600)?;
        range("http.shutdown_grace_s", self.http.shutdown_grace_s, 0, 600)?;
        range(
            "dashboard.session_ttl_s",
            self.dashboard.session_ttl_s,
            60,
            30 * 86_400,
        )?;
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(err(
                "log.format",
                format!("{:?}: expected text or json", self.log.format),
            ));
        }
        if self.log.level.trim().is_empty() {
            return Err(err("log.level", "must not be empty (e.g. info)"));
        }
        range(
            "risk.result_retention_days",
            self.risk.result_retention_days,
            1,
            3650,
        )?;
        range(
            "risk.purge_interval_s",
            self.risk.purge_interval_s,
            10,
            86_400,
        )?;
        range(
            "risk.line_status_timeout_ms",
            self.risk.line_status_timeout_ms,
            10,
            10_000,
        )?;
        if let Some(f) = &self.risk.rules_file
            && f.trim().is_empty()
        {
            return Err(err(
                "risk.rules_file",
                "must not be empty; leave it unset for the default rules",
            ));
        }
        let v = &self.verify;
        range("verify.code_ttl_s", v.code_ttl_s, 30, 86_400)?;
        range("verify.max_check_attempts", v.max_check_attempts, 1, 20)?;
        range("verify.resend_cooldown_s", v.resend_cooldown_s, 0, 3600)?;
        range("verify.max_sends_per_phone", v.max_sends_per_phone, 1, 1000)?;
        range("verify.send_window_s", v.send_window_s, 60, 86_400)?;
        crate::verify::settings::validate(v)?;
        self.router.validate()?;
        self.suppliers.validate(self.master_key.is_some())?;
        self.limits.validate()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Config {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://x.db".into(),
            redis_url: None,
            redis_prefix: None,
            admin_token: None,
            master_key: None,
            hash_secret: None,
            http: HttpConfig {
                max_body_bytes: 65536,
                request_timeout_s: 30,
                key_cache_ttl_s: 30,
                shutdown_grace_s: 10,
            },
            log: LogConfig {
                format: "text".into(),
                level: "info".into(),
            },
            verify: VerifyConfig::default(),
            risk: RiskConfig {
                rules_file: None,
                result_retention_days: 30,
                purge_interval_s: 3600,
                line_status: false,
                line_status_timeout_ms: 800,
            },
            router: Default::default(),
            suppliers: Default::default(),
            limits: Default::default(),
            dashboard: Default::default(),
        }
    }

    fn key_of(c: Config) -> String {
        c.validate().unwrap_err().key
    }

    #[test]
    fn the_defaults_are_valid() {
        valid().validate().unwrap();
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let mut c = valid();
        c.listen = "localhost".into();
        assert_eq!(key_of(c), "listen");
        let mut c = valid();
        c.database_url = "mysql://x".into();
        assert_eq!(key_of(c), "database_url");
        let mut c = valid();
        c.redis_url = Some("http://x".into());
        assert_eq!(key_of(c), "redis_url");
        let mut c = valid();
        c.redis_prefix = Some("has space".into());
        assert_eq!(key_of(c), "redis_prefix");
        let mut c = valid();
        c.admin_token = Some("short".into());
        assert_eq!(key_of(c), "admin_token");
        let mut c = valid();
        c.master_key = Some("not-a-key".into());
        assert_eq!(key_of(c), "master_key");
        let mut c = valid();
        c.hash_secret = Some("too short".into());
        assert_eq!(key_of(c), "hash_secret");
        let mut c = valid();
        c.http.max_body_bytes = 10;
        assert_eq!(key_of(c), "http.max_body_bytes");
        let mut c = valid();
        c.log.format = "xml".into();
        assert_eq!(key_of(c), "log.format");
        let mut c = valid();
        c.verify.code_ttl_s = 1;
        assert_eq!(key_of(c), "verify.code_ttl_s");
        let mut c = valid();
        c.verify.max_check_attempts = 0;
        assert_eq!(key_of(c), "verify.max_check_attempts");
        let mut c = valid();
        c.risk.result_retention_days = 0;
        assert_eq!(key_of(c), "risk.result_retention_days");
        let mut c = valid();
        c.limits
            .rate_per_s
            .insert(crate::limits::ApiCapability::Identity, 0);
        assert_eq!(key_of(c), "limits.rate_per_s.identity");
        let mut c = valid();
        c.limits.settings_ttl_s = 100_000;
        assert_eq!(key_of(c), "limits.settings_ttl_s");
    }

    #[test]
    fn the_message_says_what_is_expected() {
        let mut c = valid();
        c.verify.send_window_s = 5;
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.contains("verify.send_window_s") && e.contains("60 to 86400"),
            "{e}"
        );
    }
}
