//! Loads the configuration: embedded defaults → file → environment, then validates.

use std::path::Path;

use anyhow::{Context, bail};
use figment::error::Kind;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Profile};

use super::Config;
use super::env::{ConfigEnv, SOURCE};

/// The commented default configuration, embedded in the binary.
pub const DEFAULT_TOML: &str = include_str!("../default.toml");

/// Prefix of every configuration variable.
const PREFIX: &str = "PHONEGUARD_";

/// Overrides given on the command line (they win over everything else).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Overrides {
    /// `--listen`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// `--database`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

/// Environment variables with the prefix that are not config keys.
const NOT_KEYS: &[&str] = &["config", "bin"];

/// Variables `PHONEGUARD_TEST_…` belong to the test suite (the databases it
/// runs on), never to the configuration.
const TEST_PREFIX: &str = "test_";

/// Loads and validates the configuration from the defaults, an optional file and
/// the process environment.
pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
    load_from(file, overrides, Env::prefixed(PREFIX))
}

/// As [`load`], with an explicit environment provider (tests use this).
pub fn load_from(file: Option<&Path>, overrides: &Overrides, env: Env) -> anyhow::Result<Config> {
    let mut fig = Figment::from(Toml::string(DEFAULT_TOML));
    if let Some(path) = file {
        if !path.exists() {
            bail!("config file {} does not exist", path.display());
        }
        fig = fig.merge(Toml::file_exact(path));
    }
    let prefix = env_prefix(&env);
    let env = env
        .filter(|k| !k.as_str().to_ascii_lowercase().starts_with(TEST_PREFIX))
        .split("__")
        .ignore(NOT_KEYS);
    fig = fig
        .merge(ConfigEnv::new(env, &prefix))
        .merge(Serialized::defaults(overrides));
    let config: Config = fig
        .extract_lossy()
        .map_err(describe)
        .context("invalid configuration")?;
    if let Err(e) = config.validate() {
        let source = source_of(&fig, &e.key);
        bail!("config key `{}`{source}: {}", e.key, e.message);
    }
    Ok(config)
}

/// Where the value of the dotted `key` came from, as ` (from …)`, when it was
/// not the embedded default: the environment variable, or the file.
fn source_of(fig: &Figment, key: &str) -> String {
    let Some(m) = fig.find_metadata(key) else {
        return String::new();
    };
    if m.name == SOURCE {
        let path: Vec<&str> = key.split('.').collect();
        let var = m.interpolate(&Profile::Default, &path);
        return format!(" (from {SOURCE} {var})");
    }
    match &m.source {
        Some(figment::Source::File(path)) => format!(" (from {})", path.display()),
        _ => String::new(),
    }
}

/// The prefix of `env`'s variables, as figment names it in its metadata
/// (`` `PHONEGUARD_` environment variable(s) ``).
fn env_prefix(env: &Env) -> String {
    use figment::Provider;
    let name = env.metadata().name;
    name.split('`').nth(1).unwrap_or_default().to_string()
}

/// Figment errors name the key and where its value came from (for the
/// environment, the variable); keep every one.
fn describe(e: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = e
        .into_iter()
        .map(|e| {
            let mut path = e.path.clone();
            if let Kind::UnknownField(field, _) = &e.kind
                && path.last() != Some(field)
            {
                path.push(field.clone());
            }
            let key = path.join(".");
            let source = match &e.metadata {
                Some(m) if m.name == SOURCE && !path.is_empty() => {
                    let profile = e.profile.clone().unwrap_or(Profile::Default);
                    format!("{SOURCE} {}", m.interpolate(&profile, &path))
                }
                Some(m) => m.name.to_string(),
                None => String::new(),
            };
            let kind = e.kind.to_string();
            match (key.is_empty(), source.is_empty()) {
                (true, _) => kind,
                (false, true) => format!("config key `{key}`: {kind}"),
                (false, false) => format!("config key `{key}` (from {source}): {kind}"),
            }
        })
        .collect();
    anyhow::anyhow!(lines.join("; "))
}

#[cfg(test)]
// figment's `Jail` closures return its (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use figment::Jail;
    use secrecy::ExposeSecret;

    use super::*;

    fn load_env() -> anyhow::Result<Config> {
        load_from(None, &Overrides::default(), Env::prefixed(PREFIX))
    }

    #[test]
    fn string_keys_read_digits_as_strings_and_numbers_still_read_as_numbers() {
        Jail::expect_with(|jail| {
            jail.set_env("PHONEGUARD_VERIFY__APP_NAME", "12306");
            jail.set_env("PHONEGUARD_ADMIN_TOKEN", "012345678901234567890123");
            jail.set_env("PHONEGUARD_REDIS_PREFIX", "0042");
            jail.set_env("PHONEGUARD_VERIFY__CODE_TTL_S", "300");
            jail.set_env("PHONEGUARD_RISK__LINE_STATUS", "true");
            jail.set_env("PHONEGUARD_VERIFY__ALLOWED_COUNTRIES", "[CN, HK]");
            let c = load_env().map_err(|e| format!("{e:#}"))?;
            assert_eq!(c.verify.app_name, "12306");
            assert_eq!(
                c.admin_token.as_ref().map(|t| t.expose_secret()),
                Some("012345678901234567890123"),
                "an all-digit token keeps its leading zero"
            );
            assert_eq!(c.redis_prefix.as_deref(), Some("0042"));
            assert_eq!(c.verify.code_ttl_s, 300);
            assert!(c.risk.line_status);
            assert_eq!(c.verify.allowed_countries, ["CN", "HK"]);
            Ok(())
        });
    }

    #[test]
    fn decimal_text_stays_text_for_string_keys_and_exact_for_decimal_keys() {
        Jail::expect_with(|jail| {
            jail.set_env("PHONEGUARD_VERIFY__APP_NAME", "1.5");
            jail.set_env("PHONEGUARD_REDIS_PREFIX", "2.0");
            jail.set_env("PHONEGUARD_VERIFY__CONVERSION_FLOOR", "0.1");
            jail.set_env("PHONEGUARD_ROUTER__PRICE_WEIGHT", "1");
            let c = load_env().map_err(|e| format!("{e:#}"))?;
            assert_eq!(c.verify.app_name, "1.5");
            assert_eq!(c.redis_prefix.as_deref(), Some("2.0"));
            assert_eq!(c.verify.conversion_floor, 0.1, "not 0.1 read through f32");
            assert_eq!(c.router.price_weight, 1.0);
            jail.set_env("PHONEGUARD_ROUTER__BREAKER_FAILURE_RATIO", "half");
            let e = format!("{:#}", load_env().unwrap_err());
            assert!(
                e.contains("PHONEGUARD_ROUTER__BREAKER_FAILURE_RATIO")
                    && e.contains("a decimal number"),
                "{e}"
            );
            Ok(())
        });
    }

    #[test]
    fn test_variables_are_ignored_and_unknown_keys_name_their_variable() {
        Jail::expect_with(|jail| {
            jail.set_env("PHONEGUARD_TEST_POSTGRES_URL", "postgres://u:p@localhost/t");
            jail.set_env("PHONEGUARD_TEST_REDIS_URL", "redis://localhost:6379");
            load_env().map_err(|e| format!("{e:#}"))?;
            jail.set_env("PHONEGUARD_NO_SUCH_KEY", "1");
            let e = format!("{:#}", load_env().unwrap_err());
            assert!(e.contains("PHONEGUARD_NO_SUCH_KEY"), "{e}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("PHONEGUARD_VERIFY__NO_SUCH_KEY", "1");
            let e = format!("{:#}", load_env().unwrap_err());
            assert!(e.contains("PHONEGUARD_VERIFY__NO_SUCH_KEY"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn an_out_of_range_value_names_its_variable_or_file() {
        Jail::expect_with(|jail| {
            jail.set_env("PHONEGUARD_VERIFY__CODE_TTL_S", "99999999");
            let e = format!("{:#}", load_env().unwrap_err());
            assert!(
                e.contains("config key `verify.code_ttl_s` (from environment variable PHONEGUARD_VERIFY__CODE_TTL_S)")
                    && e.contains("out of range")
                    && !e.contains("``"),
                "{e}"
            );
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file("pg.toml", "[verify]\ncode_ttl_s = 5\n")?;
            let file = jail.directory().join("pg.toml");
            let e = load_from(Some(&file), &Overrides::default(), Env::prefixed(PREFIX))
                .map(|_| ())
                .unwrap_err();
            let e = format!("{e:#}");
            assert!(
                e.contains("pg.toml") && e.contains("verify.code_ttl_s"),
                "{e}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_from_the_environment_names_its_variable() {
        Jail::expect_with(|jail| {
            jail.set_env("PHONEGUARD_VERIFY__CODE_TTL_S", "soon");
            let e = format!("{:#}", load_env().unwrap_err());
            assert!(
                e.contains("verify.code_ttl_s") && e.contains("PHONEGUARD_VERIFY__CODE_TTL_S"),
                "{e}"
            );
            Ok(())
        });
    }
}
