//! The anti-fraud seed's own example events (checkRegister / checkLogin).

use phoneguard_risk::{
    Decision, Engine, EventKind, GeyanEvent, MemoryCounters, PhoneFacts, RiskEvent, counter_ops,
    explain,
};

use crate::common::NOW;

/// `GyCheckModel` as filled in the seed (every value a string).
const SEED_REGISTER: &str = r#"{
    "account": "69B64959969AF7DB11C5ED182495FB2E",
    "email": "69B64959969AF7DB11C5ED182495FB2E",
    "pn": "6E3652F544C1352516CF1997039F0660",
    "pwd": "E10ADC3949BA59ABBE56E057F20F883E",
    "nickName": "nickName",
    "registerTime": "1521440310",
    "runEnv": "4",
    "moveCount": "1",
    "clickCount": "3",
    "keyCount": "10",
    "operatingTime": "60",
    "ip": "192.168.1.3",
    "appVer": "1.1.0",
    "mac": "",
    "idfa": "1E2DFA89-496A-47FD-9941-DF1FC4E6484A",
    "referrer": "https://www.getui.com",
    "xForwardFor": "https://www.getui.com",
    "result": "1",
    "reason": "0"
}"#;

fn assess(event: &RiskEvent) -> phoneguard_risk::Assessment {
    event.validate().expect("the seed's example is valid");
    let counters = MemoryCounters::default();
    let values = counters.apply(&counter_ops(event), NOW);
    Engine::default().assess(event, &PhoneFacts::default(), &values, NOW)
}

#[test]
fn the_seed_registration_is_an_account_risk_for_its_common_password() {
    let event = serde_json::from_str::<GeyanEvent>(SEED_REGISTER)
        .unwrap()
        .into_event();
    assert_eq!(event.kind, EventKind::Register);
    let a = assess(&event);
    let reason = a
        .reasons
        .iter()
        .find(|r| r.code == "common_password")
        .expect("common_password");
    assert_eq!(reason.risk_type, 1);
    assert_eq!(
        a.risk_types.first(),
        Some(&1),
        "account risk leads: {:?}",
        a.risk_types
    );
    assert!(
        a.risk_types.contains(&2),
        "private IP and malformed XFF: {:?}",
        a.risk_types
    );
    assert!((1..=2).contains(&a.level), "level {}", a.level);
    assert_eq!(a.decision, Decision::Review);
    let text = explain(&a);
    assert!(
        text.contains("common_password") && text.contains("pwd_common = true"),
        "{text}"
    );
}

#[test]
fn the_seed_login_is_an_account_risk_too() {
    let login = SEED_REGISTER.replace(
        "\"reason\": \"0\"",
        "\"reason\": \"0\", \"loginTime\": \"1521440310\", \"loginType\": \"1\"",
    );
    let mut event = serde_json::from_str::<GeyanEvent>(&login)
        .unwrap()
        .into_event();
    event.kind = EventKind::Login;
    let a = assess(&event);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.code == "common_password" && r.risk_type == 1)
    );
    assert_eq!(a.risk_types.first(), Some(&1));
    assert!(a.level >= 1);
}

#[test]
fn the_snake_case_body_gives_the_same_verdict() {
    let mut snake = SEED_REGISTER.to_owned();
    for (camel, snake_name) in [
        ("nickName", "nick_name"),
        ("registerTime", "register_time"),
        ("runEnv", "run_env"),
        ("moveCount", "move_count"),
        ("clickCount", "click_count"),
        ("keyCount", "key_count"),
        ("operatingTime", "operating_time"),
        ("appVer", "app_ver"),
        ("xForwardFor", "x_forward_for"),
    ] {
        snake = snake.replace(&format!("\"{camel}\":"), &format!("\"{snake_name}\":"));
    }
    let camel = serde_json::from_str::<GeyanEvent>(SEED_REGISTER)
        .unwrap()
        .into_event();
    let snake: RiskEvent = serde_json::from_str(&snake).unwrap();
    assert_eq!(camel, snake);
    assert_eq!(assess(&camel), assess(&snake));
}
