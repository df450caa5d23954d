//! `phoneguard risk eval`: run events through a rules file and explain the result,
//! so an operator can test rules before shipping them.

use std::path::Path;

use anyhow::{Context, bail};
use phoneguard_core::risk::phone_facts;
use phoneguard_numbering::NumberTable;
use phoneguard_risk::{Engine, MemoryCounters, RiskEvent, counter_ops, explain};

/// Reads the rules (or the shipped defaults) and the events (one JSON object, or
/// JSON lines evaluated in order with shared counters, as a live node would),
/// and returns the explanation of every event.
pub fn run(rules: Option<&Path>, events: &Path, now: u64) -> anyhow::Result<String> {
    let engine = match rules {
        Some(p) => {
            let src = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Engine::from_toml(&src).with_context(|| format!("{} does not compile", p.display()))?
        }
        None => Engine::default(),
    };
    let text = std::fs::read_to_string(events)
        .with_context(|| format!("cannot read {}", events.display()))?;
    let parsed: Vec<RiskEvent> = match serde_json::from_str::<RiskEvent>(&text) {
        Ok(one) => vec![one],
        Err(_) => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .with_context(|| format!("{} line {}", events.display(), i + 1))
            })
            .collect::<anyhow::Result<_>>()?,
    };
    if parsed.is_empty() {
        bail!("{} holds no event", events.display());
    }
    let counters = MemoryCounters::default();
    let mut out = String::new();
    for (i, event) in parsed.iter().enumerate() {
        if let Err(errors) = event.validate() {
            let list: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            bail!("event {} is invalid: {}", i + 1, list.join("; "));
        }
        let values = counters.apply(&counter_ops(event), now);
        let facts = phone_facts(NumberTable::embedded(), event.pn.as_deref());
        let assessment = engine.assess(event, &facts, &values, now);
        if parsed.len() > 1 {
            out.push_str(&format!("== event {} ({})\n", i + 1, event.kind.as_str()));
        }
        out.push_str(&explain(&assessment));
        out.push('\n');
    }
    Ok(out)
}
