//! The `[risk]` section of the configuration, its validation, and the loading
//! of the rules file it names.

use std::path::Path;

use phoneguard_risk::{Engine, RulesError};
use serde::Deserialize;

use crate::config::{ConfigError, range};

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
    /// A table of IP ranges and their countries (CSV `first,last,CC`, the
    /// shape of DB-IP's IP to Country Lite); unset: no IP is given a country,
    /// and `device_timezone_mismatch` is always false.
    #[serde(default)]
    pub geoip_file: Option<String>,
}

fn default_line_status_timeout_ms() -> u64 {
    800
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            rules_file: None,
            result_retention_days: 30,
            purge_interval_s: 3600,
            line_status: false,
            line_status_timeout_ms: default_line_status_timeout_ms(),
            geoip_file: None,
        }
    }
}

impl RiskConfig {
    /// Checks the `[risk]` keys, naming the one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        range(
            "risk.result_retention_days",
            self.result_retention_days,
            1,
            3650,
        )?;
        range("risk.purge_interval_s", self.purge_interval_s, 10, 86_400)?;
        range(
            "risk.line_status_timeout_ms",
            self.line_status_timeout_ms,
            10,
            10_000,
        )?;
        if let Some(f) = &self.rules_file
            && f.trim().is_empty()
        {
            return Err(ConfigError::new(
                "risk.rules_file",
                "must not be empty; leave it unset for the default rules",
            ));
        }
        if let Some(f) = &self.geoip_file
            && f.trim().is_empty()
        {
            return Err(ConfigError::new(
                "risk.geoip_file",
                "must not be empty; leave it unset for no IP countries",
            ));
        }
        Ok(())
    }
}

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesLoadError {
    /// No `risk.rules_file` is configured.
    #[error("no rules file is configured (config key `risk.rules_file`)")]
    NoFile,
    /// The file could not be read.
    #[error("cannot read rules file {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        error: String,
    },
    /// A rule does not compile (the error names it).
    #[error(transparent)]
    Rules(RulesError),
}

/// The text of a rules file.
pub(crate) fn read_rules(path: &Path) -> Result<String, RulesLoadError> {
    std::fs::read_to_string(path).map_err(|e| RulesLoadError::Io {
        path: path.display().to_string(),
        error: e.to_string(),
    })
}

/// The rules of `rules_file` when given (else the shipped defaults), compiled,
/// with their source.
pub(crate) fn load_rules(rules_file: Option<&Path>) -> Result<(Engine, String), RulesLoadError> {
    let source = match rules_file {
        Some(path) => read_rules(path)?,
        None => phoneguard_risk::DEFAULT_RULES_TOML.to_string(),
    };
    let engine = Engine::from_toml(&source).map_err(RulesLoadError::Rules)?;
    Ok((engine, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_rules_file_is_refused_at_start_and_an_absent_one_names_itself() {
        let dir = std::env::temp_dir().join(format!("pg-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rules.toml");
        std::fs::write(&path, "[levels]\nthresholds = [1]\n").unwrap();
        assert!(matches!(
            load_rules(Some(&path)),
            Err(RulesLoadError::Rules(_))
        ));
        let missing = load_rules(Some(&dir.join("nope.toml")))
            .err()
            .unwrap()
            .to_string();
        assert!(missing.contains("nope.toml"), "{missing}");
        assert!(load_rules(None).is_ok(), "the shipped rules compile");
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let c = RiskConfig {
            result_retention_days: 0,
            ..RiskConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "risk.result_retention_days");
        let c = RiskConfig {
            rules_file: Some(" ".into()),
            ..RiskConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "risk.rules_file");
        let c = RiskConfig {
            geoip_file: Some("".into()),
            ..RiskConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "risk.geoip_file");
    }
}
