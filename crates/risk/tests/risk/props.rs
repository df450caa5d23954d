//! Properties over arbitrary input.

use proptest::prelude::*;

use phoneguard_risk::{
    Engine, Feature, FeatureKind, FeatureValue, Features, MemoryCounters, PhoneFacts, RiskEvent,
    RuleSet, counter_ops, explain,
};

const FIELDS: &[&str] = &[
    "kind",
    "account",
    "email",
    "pn",
    "pwd",
    "nick_name",
    "register_time",
    "login_time",
    "run_env",
    "move_count",
    "click_count",
    "key_count",
    "operating_time",
    "ip",
    "app_ver",
    "mac",
    "idfa",
    "device_id",
    "referrer",
    "user_agent",
    "x_forward_for",
    "result",
    "reason",
    "login_type",
];

fn scalar() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        (-1e20f64..1e20).prop_map(serde_json::Value::from),
        ".{0,40}".prop_map(serde_json::Value::from),
        "[0-9a-fA-F:.\\-, ]{0,40}".prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "login",
            "register",
            "0",
            "1",
            "12",
            "-1",
            "",
            "00000000-0000-0000-0000-000000000000",
            "02:00:00:00:00:00",
            "::ffff:1.2.3.4",
            "curl/8",
            "1.2.3.4, unknown, [::1]:80",
            "E10ADC3949BA59ABBE56E057F20F883E"
        ])
        .prop_map(serde_json::Value::from),
        prop::collection::vec(any::<i32>(), 0..3).prop_map(serde_json::Value::from),
    ]
}

fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::option::of(scalar()), FIELDS.len()).prop_map(|values| {
        let map: serde_json::Map<String, serde_json::Value> = FIELDS
            .iter()
            .zip(values)
            .filter_map(|(k, v)| v.map(|v| ((*k).to_owned(), v)))
            .collect();
        serde_json::Value::Object(map).to_string()
    })
}

fn phone() -> impl Strategy<Value = PhoneFacts> {
    (
        any::<bool>(),
        prop::option::of(".{0,8}"),
        any::<bool>(),
        prop::option::of(".{0,8}"),
        prop::option::of(".{0,12}"),
    )
        .prop_map(
            |(valid, network, allocated, carrier, line_status)| PhoneFacts {
                valid,
                network,
                allocated,
                carrier,
                line_status,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validate_and_assess_never_panic(body in body(), facts in phone(), now in 0u64..5_000_000_000) {
        let event: RiskEvent = serde_json::from_str(&body).expect("any object deserializes");
        let valid = event.validate();
        if let Err(errors) = &valid {
            prop_assert!(!errors.is_empty());
        }
        let engine = Engine::default();
        let counters = MemoryCounters::default();
        for _ in 0..2 {
            let values = counters.apply(&counter_ops(&event), now);
            let a = engine.assess(&event, &facts, &values, now);
            prop_assert!(a.level <= 4);
            prop_assert!(a.rule_failures.is_empty(), "{:?}", a.rule_failures);
            prop_assert!(!explain(&a).is_empty());
            prop_assert!(serde_json::to_string(&a).is_ok());
        }
        let geyan = serde_json::from_str::<phoneguard_risk::GeyanEvent>(&body);
        prop_assert!(geyan.is_ok());
    }
}

fn feature_value(kind: FeatureKind) -> BoxedStrategy<FeatureValue> {
    match kind {
        FeatureKind::Bool => any::<bool>().prop_map(FeatureValue::Bool).boxed(),
        FeatureKind::Int => prop_oneof![-2i64..700, any::<i64>(), Just(i64::MAX), Just(i64::MIN)]
            .prop_map(FeatureValue::Int)
            .boxed(),
        FeatureKind::Float => prop_oneof![0.0f64..40.0, Just(15.0), Just(0.0)]
            .prop_map(FeatureValue::Float)
            .boxed(),
        FeatureKind::Str => prop::sample::select(vec![
            "", "register", "login", "web", "chrome", "curl", "mvno", "iot",
        ])
        .prop_map(FeatureValue::from)
        .boxed(),
    }
}

fn features() -> impl Strategy<Value = Features> {
    let values: Vec<_> = Feature::ALL
        .iter()
        .map(|f| feature_value(f.kind()))
        .collect();
    values.prop_map(|values| {
        let mut f = Features::new();
        for (feature, v) in Feature::ALL.iter().zip(values) {
            f.set(*feature, v);
        }
        f
    })
}

const EXTRA: &str = r#"
[levels]
thresholds = [1, 2, 3, 4]
[[rule]]
id = "mixed"
risk_type = 2
score = 1
when = "keys_per_s >= click_count || ratio(ip_failures_1h, ip_events_1h) > 0.5 == (ua_family != 'curl') && -3 < run_env"
reason = "r"
[[rule]]
id = "eqs"
risk_type = 2
score = 1
when = "!(pwd_common == ip_private) || kind == 'login' && move_count != -1 && keys_per_s == 15.0"
reason = "r"
"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fast_path_agrees_with_the_interpreter(f in features()) {
        for source in [phoneguard_risk::DEFAULT_RULES_TOML, EXTRA] {
            let fast = Engine::new(RuleSet::from_toml(source).unwrap());
            let slow = Engine::interpreted(RuleSet::from_toml(source).unwrap());
            let (a, b) = (fast.assess_features(f.clone()), slow.assess_features(f.clone()));
            prop_assert_eq!(&a.reasons, &b.reasons);
            prop_assert!(b.rule_failures.is_empty(), "{:?}", b.rule_failures);
            prop_assert_eq!(a, b);
        }
    }
}

#[test]
fn the_extra_expressions_run_natively() {
    assert!(
        RuleSet::from_toml(EXTRA)
            .unwrap()
            .rules
            .iter()
            .all(|r| r.is_native())
    );
}
