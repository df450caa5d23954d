//! Loading rules files: what compiles, what is refused and how.

use phoneguard_risk::{Engine, RuleSet, RulesError};

use crate::common::{Input, NOW, fired};

const LEVELS: &str = "[levels]\nthresholds = [10, 20, 30, 40]\n";

fn file(rules: &str) -> String {
    format!("{LEVELS}\n{rules}")
}

fn rule(id: &str, when: &str) -> String {
    format!(
        "[[rule]]\nid = \"{id}\"\nrisk_type = 2\nscore = 10\nwhen = '''{when}'''\nreason = \"r\"\n"
    )
}

fn refused(source: &str) -> RulesError {
    RuleSet::from_toml(source).expect_err("the file should be refused")
}

#[test]
fn a_syntax_error_is_refused_naming_the_rule() {
    let src = file(&(rule("fine", "ua_automation") + &rule("broken", "ip_events_1h >")));
    match refused(&src) {
        RulesError::Rule { id, message } => {
            assert_eq!(id, "broken");
            assert!(message.contains("CEL syntax error"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(refused(&src).to_string().starts_with("rule `broken`:"));
}

#[test]
fn unknown_features_type_errors_and_non_booleans_are_refused() {
    for (when, want) in [
        ("ip_events_2h > 3", "not a feature"),
        ("ua_family > 3", "does not evaluate to a boolean"),
        ("ip_events_1h + 1", "does not evaluate to a boolean"),
        ("nosuchfn(ip_events_1h)", "does not evaluate to a boolean"),
    ] {
        let err = refused(&file(&rule("r1", when)));
        assert!(
            matches!(&err, RulesError::Rule { id, message } if id == "r1" && message.contains(want)),
            "{when}: {err}"
        );
    }
}

#[test]
fn bad_keys_ids_levels_and_ranges_are_refused() {
    let dup = file(&(rule("same", "ua_automation") + &rule("same", "ip_private")));
    assert!(matches!(refused(&dup), RulesError::Rule { message, .. } if message == "duplicate id"));
    let bad_type = file(&rule("r", "ip_private").replace("risk_type = 2", "risk_type = 5"));
    assert!(
        refused(&bad_type)
            .to_string()
            .contains("risk_type must be 1–4")
    );
    let bad_id = file(&rule("Bad-Id", "ip_private"));
    assert!(refused(&bad_id).to_string().contains("id must be"));
    let unknown_key = file(&(rule("r", "ip_private") + "colour = \"red\"\n"));
    assert!(refused(&unknown_key).to_string().starts_with("rule `r`:"));
    let bad_template =
        file(&rule("r", "ip_private").replace("reason = \"r\"", "reason = \"{nope}\""));
    assert!(
        refused(&bad_template)
            .to_string()
            .contains("unknown feature")
    );
    let levels = "[levels]\nthresholds = [30, 20, 40, 50]\n";
    assert!(matches!(refused(levels), RulesError::Levels(_)));
    let cidr = format!("{LEVELS}[network]\ndatacenter_cidrs = [\"1.2.3.0/33\"]\n");
    assert!(matches!(
        refused(&cidr),
        RulesError::Cidr {
            list: "datacenter_cidrs",
            ..
        }
    ));
    assert!(matches!(refused("levels = 3"), RulesError::Toml(_)));
}

#[test]
fn disabled_rules_are_checked_then_left_out() {
    let off = rule("off", "ip_private") + "enabled = false\n";
    let set = RuleSet::from_toml(&file(&off)).unwrap();
    assert!(set.rules.is_empty());
    let broken_off = rule("off", "ip_private &&") + "enabled = false\n";
    assert!(RuleSet::from_toml(&file(&broken_off)).is_err());
}

#[test]
fn extra_functions_and_standard_cel_work_in_rules() {
    let src = file(
        &[
            rule("ratio_rule", "ratio(click_count, operating_time) >= 0.5"),
            rule("max_rule", "max(ip_events_1h, subnet_events_1h) >= 0"),
            rule("cidr_rule", "in_cidr('58.30.1.7', '58.30.0.0/16')"),
            rule("list_rule", "ua_family in ['chrome', 'edge']"),
            rule("string_rule", "kind.startsWith('reg') && platform == 'web'"),
            rule("macro_rule", "['chrome', 'edge'].exists(f, f == ua_family)"),
        ]
        .concat(),
    );
    let engine = Engine::new(RuleSet::from_toml(&src).unwrap());
    let input = Input::clean(); // 6 clicks in 40 s
    let a = engine.assess(&input.event, &input.phone, &input.counters, NOW);
    assert_eq!(
        fired(&a),
        [
            "max_rule",
            "cidr_rule",
            "list_rule",
            "string_rule",
            "macro_rule"
        ]
    );
}

#[test]
fn the_default_file_runs_mostly_natively() {
    let set = RuleSet::default_rules();
    let interpreted: Vec<&str> = set
        .rules
        .iter()
        .filter(|r| !r.is_native())
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        interpreted.is_empty(),
        "rules left to the interpreter: {interpreted:?}"
    );
}

#[test]
fn engines_rules_and_counters_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Engine>();
    shared::<RuleSet>();
    shared::<phoneguard_risk::MemoryCounters>();
}
