//! A text account of an assessment for operators (`phoneguard risk eval`).

use std::fmt::Write;

use crate::engine::Assessment;
use crate::features::FeatureValue;
use crate::rules::risk_type_name;

/// The level, decision and score, the rules that fired with their scores
/// and reasons, any rule that failed, then every feature with its value
/// (features left at their zero are listed last, on one line).
///
/// ```text
/// level 1 (review), score 32, risk types: 1 account, 2 network
///
/// rules fired:
///   +18  common_password  [1 account]  pwd is the MD5 of a common password
/// …
/// ```
pub fn explain(a: &Assessment) -> String {
    let mut out = String::new();
    let types: Vec<String> = a
        .risk_types
        .iter()
        .map(|&t| format!("{t} {}", risk_type_name(t)))
        .collect();
    let types = if types.is_empty() {
        "none".to_owned()
    } else {
        types.join(", ")
    };
    let _ = writeln!(
        out,
        "level {} ({}), score {}, risk types: {types}",
        a.level,
        a.decision.as_str(),
        a.score
    );
    let _ = writeln!(out, "\nrules fired:");
    if a.reasons.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    let width = a.reasons.iter().map(|r| r.code.len()).max().unwrap_or(0);
    for r in &a.reasons {
        let _ = writeln!(
            out,
            "  {:+5}  {:width$}  [{} {}]  {}",
            r.score,
            r.code,
            r.risk_type,
            risk_type_name(r.risk_type),
            r.detail
        );
    }
    if !a.rule_failures.is_empty() {
        let _ = writeln!(
            out,
            "\nrules that failed to evaluate (counted as not fired):"
        );
        for f in &a.rule_failures {
            let _ = writeln!(out, "  {}: {}", f.code, f.error);
        }
    }
    let _ = writeln!(out, "\nfeatures:");
    let mut zero = Vec::new();
    for (feature, value) in a.features.iter() {
        let is_zero = match value {
            FeatureValue::Bool(b) => !b,
            FeatureValue::Int(i) => *i == 0,
            FeatureValue::Float(x) => *x == 0.0,
            FeatureValue::Str(s) => s.is_empty(),
        };
        if is_zero {
            zero.push(feature.name());
        } else if let FeatureValue::Str(s) = value {
            let _ = writeln!(out, "  {} = {s:?}", feature.name());
        } else {
            let _ = writeln!(out, "  {} = {value}", feature.name());
        }
    }
    if !zero.is_empty() {
        let _ = writeln!(out, "  zero, false or empty: {}", zero.join(", "));
    }
    out
}
