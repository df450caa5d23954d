//! Loads the configuration: embedded defaults → file → environment, then validates.

use std::path::Path;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use phoneguard_core::config::Config;

/// The commented default configuration, embedded in the binary.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

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

/// Loads and validates the configuration from the defaults, an optional file and
/// the process environment.
pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
    load_from(file, overrides, Env::prefixed("PHONEGUARD_"))
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
    fig = fig
        .merge(env.split("__").ignore(NOT_KEYS))
        .merge(Serialized::defaults(overrides));
    let config: Config = fig
        .extract()
        .map_err(describe)
        .context("invalid configuration")?;
    config.validate()?;
    Ok(config)
}

/// Figment errors name the key and where its value came from; keep every one.
fn describe(e: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = e
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_default();
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
