//! The engine: features, then rules, then level and decision.

use serde::Serialize;

use crate::counters::CounterValues;
use crate::event::RiskEvent;
use crate::features::{Features, compute_features};
use crate::phone::PhoneFacts;
use crate::rules::{Decision, RuleSet, root_context, run, with_features};

/// Why an event scored: one fired rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The rule id, e.g. `ip_velocity`.
    pub code: String,
    /// 1 account, 2 network, 3 device, 4 behaviour.
    pub risk_type: u8,
    /// The rule's reason with the event's values, e.g. `23 registrations
    /// from this IP in 1h`.
    pub detail: String,
    /// What the rule added to the score.
    pub score: i64,
}

/// A rule that failed to evaluate for this event (it counted as not fired).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleFailure {
    /// The rule id.
    pub code: String,
    /// The CEL error.
    pub error: String,
}

/// The verdict on one event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    /// 0 safe, 1–2 suspicious, 3–4 risky.
    pub level: u8,
    /// Risk types of the fired rules with a positive score, highest total
    /// contribution first (ties: lower type first), each once.
    pub risk_types: Vec<u8>,
    /// The decision of the level.
    pub decision: Decision,
    /// Fired rules, in rules-file order.
    pub reasons: Vec<Reason>,
    /// Sum of the fired rules' scores.
    pub score: i64,
    /// Every feature of the event.
    pub features: Features,
    /// Rules that could not be evaluated (normally empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_failures: Vec<RuleFailure>,
}

/// Assesses events with one compiled [`RuleSet`]. Build it once per rules
/// file (it holds the CEL root context) and share it (`Send + Sync`); to
/// reload, compile the new file with [`RuleSet::from_toml`] and swap in a
/// new engine only if that succeeded.
pub struct Engine {
    rules: RuleSet,
    root: cel::Context<'static, 'static>,
    native: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(RuleSet::default_rules())
    }
}

impl Engine {
    /// An engine for these rules.
    pub fn new(rules: RuleSet) -> Self {
        Engine {
            rules,
            root: root_context(),
            native: true,
        }
    }

    /// An engine that runs every rule in the CEL interpreter, even those
    /// with a native form: same results, slower; for comparisons and tests.
    pub fn interpreted(rules: RuleSet) -> Self {
        Engine {
            native: false,
            ..Engine::new(rules)
        }
    }

    /// Compiles a rules file into an engine.
    pub fn from_toml(source: &str) -> Result<Self, crate::RulesError> {
        RuleSet::from_toml(source).map(Engine::new)
    }

    /// Its rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The features of `event` (what [`Engine::assess`] computes first).
    pub fn features(
        &self,
        event: &RiskEvent,
        phone: &PhoneFacts,
        counters: &CounterValues,
        now: u64,
    ) -> Features {
        let (dc, proxy) = (&self.rules.datacenter, &self.rules.proxy);
        compute_features(event, phone, counters, dc, proxy, now)
    }

    /// Assesses `event` at `now` (Unix seconds) given what the caller knows
    /// of its phone and the readings of its [`crate::counter_ops`]. Pure and
    /// total: it never panics, whatever the event holds, validated or not.
    pub fn assess(
        &self,
        event: &RiskEvent,
        phone: &PhoneFacts,
        counters: &CounterValues,
        now: u64,
    ) -> Assessment {
        let features = self.features(event, phone, counters, now);
        self.assess_features(features)
    }

    /// Runs the rules on already computed features.
    pub fn assess_features(&self, features: Features) -> Assessment {
        let mut reasons = Vec::new();
        let mut rule_failures = Vec::new();
        with_features(&self.root, &features, |ctx| {
            for rule in &self.rules.rules {
                let verdict = match &rule.native {
                    Some(cond) if self.native => Ok(cond.eval(&features)),
                    _ => run(ctx, &rule.program),
                };
                match verdict {
                    Ok(true) => reasons.push(rule),
                    Ok(false) => {}
                    Err(error) => rule_failures.push(RuleFailure {
                        code: rule.id.clone(),
                        error,
                    }),
                }
            }
        });
        let score: i64 = reasons.iter().map(|r| r.score).sum();
        let mut by_type = [0i64; 5];
        for rule in &reasons {
            by_type[usize::from(rule.risk_type.min(4))] += rule.score;
        }
        let mut risk_types: Vec<u8> = (1..=4u8).filter(|&t| by_type[usize::from(t)] > 0).collect();
        risk_types.sort_by_key(|&t| std::cmp::Reverse(by_type[usize::from(t)]));
        let level = self.rules.levels.level(score);
        let reasons = reasons
            .into_iter()
            .map(|rule| Reason {
                code: rule.id.clone(),
                risk_type: rule.risk_type,
                detail: rule.template.render(&features),
                score: rule.score,
            })
            .collect();
        Assessment {
            level,
            risk_types,
            decision: self.rules.levels.decision(level),
            reasons,
            score,
            features,
            rule_failures,
        }
    }
}
