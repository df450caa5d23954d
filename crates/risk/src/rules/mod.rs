//! Rules: a TOML file of CEL expressions over the named features, each with
//! a risk type, a score and a reason; score thresholds give the level, the
//! level gives the decision.

mod expr;
mod fast;
mod levels;
mod template;

use serde::Deserialize;

pub use levels::{Decision, Levels, RISK_TYPES, risk_type_name};
pub use template::Template;

pub(crate) use expr::{root_context, run, with_features};
pub(crate) use fast::Cond;

use crate::features::{CidrList, Feature, Features};

/// The rules shipped with phoneguard (`rules/default.toml`).
pub const DEFAULT_RULES_TOML: &str = include_str!("../../rules/default.toml");

/// Why a rules file was refused. The caller keeps its old rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// Not valid TOML, or a key of the wrong type or unknown.
    #[error("rules file: {0}")]
    Toml(String),
    /// One rule does not compile.
    #[error("rule `{id}`: {message}")]
    Rule {
        /// The rule's id (or its position, `#3`, if it has none).
        id: String,
        /// The CEL error or the invalid key.
        message: String,
    },
    /// `[levels]` is inconsistent.
    #[error("[levels]: {0}")]
    Levels(String),
    /// A CIDR list entry does not parse.
    #[error("[network] {list}: `{entry}` is not an IP range")]
    Cidr {
        /// `datacenter_cidrs` or `proxy_cidrs`.
        list: &'static str,
        /// The bad entry.
        entry: String,
    },
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, used as the reason `code` (e.g. `common_password`).
    pub id: String,
    /// What it catches, for operators.
    pub description: String,
    /// 1 account, 2 network, 3 device, 4 behaviour.
    pub risk_type: u8,
    /// Added to the event's score when the rule fires (may be negative).
    pub score: i64,
    /// The CEL source of the condition.
    pub when: String,
    /// The reason template's source.
    pub reason: String,
    pub(crate) template: Template,
    pub(crate) program: cel::Program,
    /// The native form of `when`, when it has one (see `fast.rs`).
    pub(crate) native: Option<Cond>,
}

impl Rule {
    /// Whether `when` runs natively rather than in the CEL interpreter
    /// (same result; see the crate docs on rule speed).
    pub fn is_native(&self) -> bool {
        self.native.is_some()
    }
}

/// A compiled rules file: rules in file order, levels, network lists.
#[derive(Debug)]
pub struct RuleSet {
    /// Enabled rules, in file order.
    pub rules: Vec<Rule>,
    /// Score thresholds and decisions.
    pub levels: Levels,
    /// `[network] datacenter_cidrs`.
    pub datacenter: CidrList,
    /// `[network] proxy_cidrs`.
    pub proxy: CidrList,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    levels: Levels,
    #[serde(default)]
    network: NetworkIn,
    #[serde(default)]
    rule: Vec<toml::Table>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkIn {
    #[serde(default)]
    datacenter_cidrs: Vec<String>,
    #[serde(default)]
    proxy_cidrs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleIn {
    id: String,
    #[serde(default)]
    description: String,
    risk_type: u8,
    score: i64,
    when: String,
    reason: String,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

impl RuleSet {
    /// The shipped defaults ([`DEFAULT_RULES_TOML`]).
    pub fn default_rules() -> RuleSet {
        RuleSet::from_toml(DEFAULT_RULES_TOML)
            .unwrap_or_else(|e| panic!("the embedded default rules must compile: {e}"))
    }

    /// Parses and compiles a rules file. Every expression is compiled and
    /// run once on an all-zero event up front, so an unknown feature, a
    /// syntax error, a type error or a non-boolean result is refused here,
    /// naming the rule; so are duplicate ids, a risk type outside 1–4 and
    /// unknown placeholders in reasons. Disabled rules (`enabled = false`)
    /// are checked too, then left out.
    pub fn from_toml(source: &str) -> Result<RuleSet, RulesError> {
        let file: FileIn = toml::from_str(source).map_err(|e| RulesError::Toml(e.to_string()))?;
        file.levels.check().map_err(RulesError::Levels)?;
        let datacenter =
            CidrList::parse(&file.network.datacenter_cidrs).map_err(|entry| RulesError::Cidr {
                list: "datacenter_cidrs",
                entry,
            })?;
        let proxy =
            CidrList::parse(&file.network.proxy_cidrs).map_err(|entry| RulesError::Cidr {
                list: "proxy_cidrs",
                entry,
            })?;
        let root = root_context();
        let zero = Features::new();
        let mut rules: Vec<Rule> = Vec::with_capacity(file.rule.len());
        let mut ids = std::collections::HashSet::new();
        for (i, table) in file.rule.into_iter().enumerate() {
            let fallback = format!("#{}", i + 1);
            let id = table
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or(&fallback)
                .to_owned();
            let fail = |message: String| RulesError::Rule {
                id: id.clone(),
                message,
            };
            let rule: RuleIn = table
                .try_into()
                .map_err(|e: toml::de::Error| fail(e.message().to_owned()))?;
            if !valid_id(&rule.id) {
                return Err(fail("id must be 1–64 of a-z, 0-9 and _".into()));
            }
            if !ids.insert(rule.id.clone()) {
                return Err(fail("duplicate id".into()));
            }
            if !RISK_TYPES.contains(&rule.risk_type) {
                return Err(fail(format!(
                    "risk_type must be 1–4, not {}",
                    rule.risk_type
                )));
            }
            if rule.score.abs() > 1_000 {
                return Err(fail("score must be from -1000 to 1000".into()));
            }
            let program = expr::env()
                .compile(&rule.when)
                .map_err(|e| fail(format!("CEL syntax error in `when`: {e}")))?;
            let mut bound = Vec::new();
            expr::bound_names(program.expression(), &mut bound);
            let references = program.references();
            let mut unknown: Vec<&str> = references
                .variables()
                .into_iter()
                .filter(|v| Feature::from_name(v).is_none() && !bound.iter().any(|b| b == v))
                .collect();
            unknown.sort_unstable();
            if let Some(name) = unknown.first() {
                return Err(fail(format!(
                    "`when` uses `{name}`, which is not a feature"
                )));
            }
            with_features(&root, &zero, |ctx| run(ctx, &program))
                .map_err(|e| fail(format!("`when` does not evaluate to a boolean: {e}")))?;
            let template =
                Template::parse(&rule.reason).map_err(|e| fail(format!("reason: {e}")))?;
            if rule.enabled {
                rules.push(Rule {
                    id: rule.id,
                    description: rule.description,
                    risk_type: rule.risk_type,
                    score: rule.score,
                    when: rule.when,
                    reason: rule.reason,
                    template,
                    native: fast::compile(program.expression()),
                    program,
                });
            }
        }
        Ok(RuleSet {
            rules,
            levels: file.levels,
            datacenter,
            proxy,
        })
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
