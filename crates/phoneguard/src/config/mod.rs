//! The whole configuration: the server's own keys (`listen`, storage, secrets,
//! `[http]`, `[log]`) and every area's section from `phoneguard-core`, with
//! [`Config::validate`]. Loading is in [`load`](self::load).

mod env;
mod load;

pub use load::{DEFAULT_TOML, Overrides, load, load_from};

use phoneguard_core::config::{ConfigError, range, strong_secret};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The whole configuration. Unknown keys are refused so a typo names itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, `host:port`.
    pub listen: String,
    /// `sqlite://FILE` (embedded default) or `postgres://…` (may hold a password).
    pub database_url: SecretString,
    /// `redis://…` for shared counters (may hold a password); unset: in-process counters.
    #[serde(default)]
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key, one per deployment sharing a Redis; unset: `phoneguard`.
    #[serde(default)]
    pub redis_prefix: Option<String>,
    /// Admin token (≥ 24 characters); a new one replaces the stored hash and ends
    /// dashboard sessions; unset: the stored one, or on first start one is
    /// generated and printed once.
    #[serde(default)]
    pub admin_token: Option<SecretString>,
    /// Master key (32 bytes as 64 hex characters or base64) that encrypts supplier credentials.
    #[serde(default)]
    pub master_key: Option<SecretString>,
    /// Secret under which keys, tokens and codes are hashed (≥ 32 characters);
    /// unset: read from (or generated into) the key file `hash_secret_file`.
    #[serde(default)]
    pub hash_secret: Option<SecretString>,
    /// File holding the hash secret when `hash_secret` is unset; default for
    /// SQLite: the database file's name with `.key` appended (created 0600).
    #[serde(default)]
    pub hash_secret_file: Option<String>,
    /// HTTP limits and behaviour.
    pub http: HttpConfig,
    /// Logging.
    pub log: LogConfig,
    /// Verification (OTP) limits.
    pub verify: phoneguard_core::verify::VerifyConfig,
    /// Risk engine.
    pub risk: phoneguard_core::risk::RiskConfig,
    /// Supplier routing: deadline, breaker, health, hedging.
    #[serde(default)]
    pub router: phoneguard_core::suppliers::RouterConfig,
    /// Suppliers seeded into the database at start.
    #[serde(default)]
    pub suppliers: phoneguard_core::suppliers::SuppliersConfig,
    /// Default rate limits and daily quotas of tenants.
    #[serde(default)]
    pub limits: phoneguard_core::limits::LimitsConfig,
    /// Admin sessions of `/dashboard`.
    #[serde(default)]
    pub dashboard: phoneguard_server::dashboard::DashboardConfig,
    /// Throttle of failed admin authentication per client address.
    #[serde(default)]
    pub auth: phoneguard_server::guard::AuthConfig,
    /// Who may read `/metrics`.
    #[serde(default)]
    pub metrics: phoneguard_server::guard::MetricsConfig,
}

/// `[http]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest accepted request body in bytes (API.md: 64 KiB).
    pub max_body_bytes: usize,
    /// A request taking longer is answered 503 (408 if it was waiting for its body).
    pub request_timeout_s: u64,
    /// A client must send a whole request head within this many seconds of
    /// connecting or of the previous response; otherwise the connection is
    /// closed (slow or silent clients, idle keep-alive connections).
    pub header_read_timeout_s: u64,
    /// Most client connections open at once; over it, new ones wait in the
    /// listen backlog until one closes. Lowered at start to fit the open-files limit.
    pub max_connections: usize,
    /// How long a resolved API key is trusted before it is read again.
    pub key_cache_ttl_s: u64,
    /// Seconds to finish in-flight requests after SIGTERM.
    pub shutdown_grace_s: u64,
    /// Reverse proxies (addresses or CIDR networks) whose `X-Forwarded-For` names
    /// the client; empty: the connection's peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
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

impl Config {
    /// Checks every value; the first problem found is returned, naming its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::new(
                "listen",
                format!("{:?} is not host:port (e.g. 127.0.0.1:8080)", self.listen),
            ));
        }
        let db = self.database_url.expose_secret();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "database_url",
                "expected sqlite://FILE or postgres://USER@HOST/DB",
            ));
        }
        if let Some(r) = self.redis_url.as_ref().map(ExposeSecret::expose_secret)
            && !(r.starts_with("redis://") || r.starts_with("rediss://"))
        {
            return Err(ConfigError::new(
                "redis_url",
                "expected redis://HOST:PORT or rediss://…",
            ));
        }
        if let Some(p) = &self.redis_prefix
            && (p.is_empty()
                || p.len() > 64
                || !p
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
        {
            return Err(ConfigError::new(
                "redis_prefix",
                "expected 1–64 characters of letters, digits, `_`, `-` or `.`",
            ));
        }
        if let Some(t) = self.admin_token.as_ref().map(ExposeSecret::expose_secret) {
            strong_secret("admin_token", t)?;
        }
        if let Some(s) = self.hash_secret.as_ref().map(ExposeSecret::expose_secret)
            && s.len() < 32
        {
            return Err(ConfigError::new(
                "hash_secret",
                "must be at least 32 characters",
            ));
        }
        if let Some(k) = self.master_key.as_ref().map(ExposeSecret::expose_secret)
            && phoneguard_core::secrets::decode_master_key(k).is_none()
        {
            return Err(ConfigError::new(
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
        range(
            "http.header_read_timeout_s",
            self.http.header_read_timeout_s,
            1,
            300,
        )?;
        range(
            "http.max_connections",
            self.http.max_connections,
            1,
            1_000_000,
        )?;
        range("http.key_cache_ttl_s", self.http.key_cache_ttl_s, 0, 3600)?;
        range("http.shutdown_grace_s", self.http.shutdown_grace_s, 0, 600)?;
        phoneguard_server::guard::parse_proxies(&self.http.trusted_proxies)
            .map_err(|m| ConfigError::new("http.trusted_proxies", m))?;
        self.dashboard.validate()?;
        self.auth.validate()?;
        self.metrics.validate()?;
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError::new(
                "log.format",
                format!("{:?}: expected text or json", self.log.format),
            ));
        }
        if self.log.level.trim().is_empty() {
            return Err(ConfigError::new(
                "log.level",
                "must not be empty (e.g. info)",
            ));
        }
        self.risk.validate()?;
        self.verify.validate()?;
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
            hash_secret_file: None,
            http: HttpConfig {
                max_body_bytes: 65536,
                request_timeout_s: 30,
                header_read_timeout_s: 10,
                max_connections: 4096,
                key_cache_ttl_s: 30,
                shutdown_grace_s: 10,
                trusted_proxies: vec![],
            },
            log: LogConfig {
                format: "text".into(),
                level: "info".into(),
            },
            verify: Default::default(),
            risk: Default::default(),
            router: Default::default(),
            suppliers: Default::default(),
            limits: Default::default(),
            dashboard: Default::default(),
            auth: Default::default(),
            metrics: Default::default(),
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
        c.admin_token = Some("a".repeat(16).into());
        assert_eq!(key_of(c), "admin_token");
        let mut c = valid();
        c.http.trusted_proxies = vec!["proxy.local".into()];
        assert_eq!(key_of(c), "http.trusted_proxies");
        let mut c = valid();
        c.auth.max_failures = 0;
        assert_eq!(key_of(c), "auth.max_failures");
        let mut c = valid();
        c.metrics.token = Some("metrics".into());
        assert_eq!(key_of(c), "metrics.token");
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
        c.http.header_read_timeout_s = 0;
        assert_eq!(key_of(c), "http.header_read_timeout_s");
        let mut c = valid();
        c.http.max_connections = 0;
        assert_eq!(key_of(c), "http.max_connections");
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
            .insert(phoneguard_core::limits::ApiCapability::Identity, 0);
        assert_eq!(key_of(c), "limits.rate_per_s.identity");
        let mut c = valid();
        c.limits.settings_ttl_s = 100_000;
        assert_eq!(key_of(c), "limits.settings_ttl_s");
    }

    #[test]
    fn debug_shows_no_secret() {
        let mut c = valid();
        c.database_url = "postgres://app:db-pass-1@db/pg".into();
        c.redis_url = Some("redis://:redis-pass-2@cache:6379".into());
        c.admin_token = Some("admin-token-value-3".into());
        c.metrics.token = Some("metrics-token-value-5".into());
        c.master_key = Some("ab".repeat(32).into());
        c.hash_secret = Some("hash-secret-value-4-hash-secret-value-4".into());
        let shown = format!("{c:?}");
        for secret in [
            "db-pass-1",
            "redis-pass-2",
            "admin-token-value-3",
            "abab",
            "hash-secret-value-4",
            "metrics-token-value-5",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
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
