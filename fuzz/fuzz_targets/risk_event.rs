//! Fuzzes the risk event parsers (snake_case and the seed's camelCase), their
//! validation, and a full assessment of whatever validates: none may panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use phoneguard_risk::{Engine, GeyanEvent, MemoryCounters, PhoneFacts, RiskEvent, counter_ops};

static ENGINE: LazyLock<Engine> = LazyLock::new(Engine::default);
static COUNTERS: LazyLock<MemoryCounters> = LazyLock::new(MemoryCounters::default);

fuzz_target!(|data: &[u8]| {
    let (engine, counters) = (&*ENGINE, &*COUNTERS);
    let snake = serde_json::from_slice::<RiskEvent>(data).ok();
    let camel = serde_json::from_slice::<GeyanEvent>(data).ok().map(GeyanEvent::into_event);
    for event in snake.into_iter().chain(camel) {
        if event.validate().is_ok() {
            let values = counters.apply(&counter_ops(&event), 1_700_000_000);
            let a = engine.assess(&event, &PhoneFacts::default(), &values, 1_700_000_000);
            assert!(a.level <= 4);
        }
    }
});
