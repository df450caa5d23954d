//! Labelled traffic through the default rules: how much of each attack is
//! flagged, how many people pass untouched.
//!
//! ```sh
//! cargo run --release -p phoneguard-risk --example traffic -- [--seed 7] [--humans 24000]
//!     [--rules FILE] [--jsonl events.jsonl]
//! ```
//!
//! Events of people and of five attacks are generated with a seeded RNG,
//! sorted by time, and run through `Engine` with `MemoryCounters`, as the
//! server would. `--jsonl` also writes them, one `{"at", "label", "event"}`
//! object a line (`event` is the snake_case body), for an HTTP load test.

mod attacks;
mod humans;
mod pools;

use std::collections::BTreeMap;
use std::io::Write;

use phoneguard_risk::{Engine, MemoryCounters, PhoneFacts, RiskEvent, RuleSet, counter_ops};
use rand::SeedableRng;
use rand::rngs::StdRng;

pub const DAY: u64 = 86_400;

/// One generated event and what it really is.
pub struct Labelled {
    pub at: u64,
    pub label: &'static str,
    pub event: RiskEvent,
    pub phone: PhoneFacts,
}

#[derive(Default)]
struct Tally {
    n: usize,
    level0: usize,
    level1: usize,
    level3: usize,
    rules: BTreeMap<String, usize>,
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = arg(&args, "--seed").map_or(Ok(7), |s| s.parse())?;
    let humans: usize = arg(&args, "--humans").map_or(Ok(24_000), |s| s.parse())?;
    let engine = match arg(&args, "--rules") {
        Some(path) => Engine::new(RuleSet::from_toml(&std::fs::read_to_string(path)?)?),
        None => Engine::default(),
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let start = 1_700_000_000 / DAY * DAY;
    let mut events = humans::humans(&mut rng, start, humans);
    events.extend(attacks::bursts(&mut rng, start, 8));
    events.extend(attacks::device_farm(&mut rng, start, 25, 40));
    events.extend(attacks::headless_bots(&mut rng, start, 800));
    events.extend(attacks::credential_stuffing(&mut rng, start, 5, 300));
    events.extend(attacks::slow_distributed(&mut rng, start, 800));
    events.extend(attacks::token_bots(&mut rng, start, 600));
    events.sort_by_key(|l| l.at);

    let mut jsonl = match arg(&args, "--jsonl") {
        Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => None,
    };
    let counters = MemoryCounters::default();
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for l in &events {
        if let Some(out) = jsonl.as_mut() {
            let line = serde_json::json!({"at": l.at, "label": l.label, "event": l.event});
            writeln!(out, "{line}")?;
        }
        let values = counters.apply(&counter_ops(&l.event), l.at);
        let a = engine.assess(&l.event, &l.phone, &values, l.at);
        let t = tallies.entry(l.label).or_default();
        t.n += 1;
        t.level0 += usize::from(a.level == 0);
        t.level1 += usize::from(a.level >= 1);
        t.level3 += usize::from(a.level >= 3);
        // Rules behind people flagged and attacks missed, to tune by.
        if (l.label == "human") == (a.level >= 1) {
            for r in &a.reasons {
                *t.rules.entry(r.code.clone()).or_default() += 1;
            }
        }
    }
    report(seed, &tallies);
    Ok(())
}

fn pct(part: usize, n: usize) -> f64 {
    100.0 * part as f64 / n.max(1) as f64
}

fn report(seed: u64, tallies: &BTreeMap<&str, Tally>) {
    println!("seed {seed}, default rules unless --rules\n");
    println!(
        "{:<22} {:>7} {:>10} {:>10} {:>10}",
        "class", "events", "level 0", "level ≥1", "level ≥3"
    );
    let mut attacks = Tally::default();
    for (label, t) in tallies {
        println!(
            "{label:<22} {:>7} {:>9.1}% {:>9.1}% {:>9.1}%",
            t.n,
            pct(t.level0, t.n),
            pct(t.level1, t.n),
            pct(t.level3, t.n)
        );
        if *label != "human" {
            attacks.n += t.n;
            attacks.level1 += t.level1;
            attacks.level3 += t.level3;
        }
    }
    println!(
        "{:<22} {:>7} {:>10} {:>9.1}% {:>9.1}%",
        "all attacks",
        attacks.n,
        "",
        pct(attacks.level1, attacks.n),
        pct(attacks.level3, attacks.n)
    );
    if let Some(h) = tallies.get("human") {
        println!(
            "\nhumans at level 0: {:.2}% (target ≥ 98%); attacks flagged: {:.2}% (target ≥ 95%)",
            pct(h.level0, h.n),
            pct(attacks.level1, attacks.n)
        );
        println!("rules behind flagged humans: {:?}", top(&h.rules));
    }
    for (label, t) in tallies.iter().filter(|(l, _)| **l != "human") {
        if t.n > t.level1 {
            println!(
                "missed {label}: {} events; rules they did fire: {:?}",
                t.n - t.level1,
                top(&t.rules)
            );
        }
    }
}

fn top(rules: &BTreeMap<String, usize>) -> Vec<(&str, usize)> {
    let mut v: Vec<(&str, usize)> = rules.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    v.truncate(6);
    v
}
