//! Risk engine of phoneguard (seed 002, 注册保护 / 登录保护): a level 0–4,
//! risk types and reasons for every registration and login.
//!
//! Pure: no async, no I/O. The caller (the server, the CLI) does the I/O:
//!
//! ```
//! use phoneguard_risk::{counter_ops, Engine, MemoryCounters, PhoneFacts, RiskEvent};
//!
//! let engine = Engine::default(); // rules/default.toml
//! let counters = MemoryCounters::default(); // or Redis, same semantics
//! let body = r#"{"account": "u1", "pwd": "E10ADC3949BA59ABBE56E057F20F883E", "ip": "58.30.1.7"}"#;
//! let event: RiskEvent = serde_json::from_str(body).unwrap();
//! event.validate().unwrap(); // Err(field errors) → 422
//! let now = 1_700_000_000;
//! let values = counters.apply(&counter_ops(&event), now);
//! let verdict = engine.assess(&event, &PhoneFacts::default(), &values, now);
//! assert!(verdict.reasons.iter().any(|r| r.code == "common_password"));
//! println!("{}", phoneguard_risk::explain(&verdict));
//! ```
//!
//! - [`RiskEvent`] / [`GeyanEvent`]: the event, lenient on input,
//!   [`RiskEvent::validate`] names bad fields.
//! - [`counter_ops`] → [`CounterOp`]s → a store ([`MemoryCounters`]) →
//!   [`CounterValues`].
//! - [`Engine::assess`] → [`Assessment`]: features ([`Feature`]), fired
//!   rules ([`RuleSet`], CEL), level, decision; [`explain`] prints it.
#![forbid(unsafe_code)]

mod counters;
mod engine;
mod event;
mod explain;
mod features;
mod geyan;
mod ident;
mod passwords;
mod phone;
mod rules;
mod validate;
mod wire;

pub use counters::{
    BUCKETS, CounterOp, CounterReading, CounterValues, DeviceSource, MemoryCounters,
    MemoryCountersConfig, Slot, WINDOWS, counter_ops, counter_ops_in,
};
pub use engine::{Assessment, Engine, Reason, RuleFailure};
pub use event::{DeviceCheck, EventKind, FieldError, RiskEvent, VerifiedDevice, platform_name};
pub use explain::explain;
pub use features::{
    AgentInfo, CidrList, Feature, FeatureKind, FeatureValue, Features, XffInfo,
    classify_user_agent, compute_features, is_private, is_reserved, read_x_forward_for,
};
pub use geyan::{GeyanEvent, geyan_field_name};
pub use ident::{device_ids, idfa_is_null, mac_digits, mac_is_null};
pub use passwords::{common_password_count, is_common_password_md5};
pub use phone::{PhoneFacts, PnKind, phone_key};
pub use rules::{
    DEFAULT_RULES_TOML, Decision, Levels, RISK_TYPES, Rule, RuleSet, RulesError, Template,
    risk_type_name,
};
pub use validate::{MAX_INPUT_EVENTS, MAX_OPERATING_TIME, MAX_UNIX_TIME, is_hex32};
