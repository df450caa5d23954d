//! The `PHONEGUARD_…` environment as a configuration source that keeps every
//! value as written.
//!
//! figment's own [`Env`] provider parses each value as TOML-like data, so
//! `PHONEGUARD_VERIFY__APP_NAME=12306` became the number 12306 and was
//! refused for a string key (and an all-digit admin token with it). Here a
//! value is a string unless it is a list or a table (`[…]`, `{…}`); the
//! configuration is then extracted *lossily*, so an integer or a boolean key
//! reads its string ("30", "true") as a number or boolean, and a decimal key
//! reads it with [`phoneguard_core::config::decimal`] (exactly: `0.1` stays
//! `0.1`). A text key given `1.5` keeps the text `1.5`.

use figment::util::nest;
use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

use figment::providers::Env;

/// Where values of [`ConfigEnv`] come from, as shown in errors.
pub const SOURCE: &str = "environment variable";

/// An [`Env`] whose values are read as strings (see the module docs).
pub struct ConfigEnv {
    env: Env,
    /// The variables' prefix (`PHONEGUARD_`), to name a variable in errors.
    prefix: String,
}

impl ConfigEnv {
    /// Wraps `env`, whose variables start with `prefix` and nest with `__`.
    pub fn new(env: Env, prefix: &str) -> Self {
        ConfigEnv {
            env,
            prefix: prefix.to_ascii_uppercase(),
        }
    }
}

/// `[…]` and `{…}` stay structured (lists, tables); anything else is a string.
fn value_of(raw: &str) -> Value {
    match raw.parse::<Value>() {
        Ok(v @ (Value::Array(..) | Value::Dict(..))) => v,
        _ => Value::from(raw.to_string()),
    }
}

/// Inserts `value` at the dotted path `key` of `dict`, merging into tables
/// already there.
fn insert(dict: &mut Dict, key: &str, value: Value) {
    let Value::Dict(_, nested) = nest(key, value) else {
        return;
    };
    merge(dict, nested);
}

fn merge(into: &mut Dict, from: Dict) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Dict(_, a)), Value::Dict(_, b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

impl Provider for ConfigEnv {
    fn metadata(&self) -> Metadata {
        let prefix = self.prefix.clone();
        Metadata::named(SOURCE).interpolater(move |_: &Profile, keys: &[&str]| {
            let keys: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
            format!("{prefix}{}", keys.join("__"))
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let mut dict = Dict::new();
        for (key, raw) in self.env.iter() {
            insert(&mut dict, key.as_str(), value_of(&raw));
        }
        Ok(self.env.profile.collect(dict))
    }
}
