//! Decisions per second on one core, in process: counter ops on
//! [`MemoryCounters`], features and the default rules.
//!
//! ```sh
//! cargo bench -p phoneguard-risk --bench assess
//! ```

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use phoneguard_risk::{Engine, MemoryCounters, PhoneFacts, RiskEvent, counter_ops};

fn main() {
    divan::main();
}

/// A pool of varied events: 4,096 accounts over 1,024 IPs and 2,048 devices,
/// web and app, registrations and logins.
fn events() -> Vec<RiskEvent> {
    (0..4_096u32)
        .map(|i| {
            let mut e = if i % 3 == 0 { RiskEvent::login(format!("user{i}")) } else { RiskEvent::register(format!("user{i}")) };
            e.ip = Some(format!("58.{}.{}.{}", 30 + i % 7, (i / 7) % 200, i % 251));
            e.device_id = Some(format!("dev-{}", i % 2_048));
            e.run_env = Some(if i % 2 == 0 { 2 } else { 5 });
            e.user_agent = Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".into());
            e.pwd = Some(format!("{:032x}", u128::from(i) * 0x9e37_79b9_7f4a_7c15));
            e.pn = Some(format!("138{:08}", i));
            e.move_count = Some(i64::from(i % 40));
            e.click_count = Some(3);
            e.key_count = Some(20);
            e.operating_time = Some(30);
            e.result = Some(i64::from(i % 11 != 0));
            e.x_forward_for = e.ip.clone();
            e
        })
        .collect()
}

/// counter_ops + MemoryCounters::apply + Engine::assess, one event per item.
#[divan::bench(sample_count = 50, sample_size = 200)]
fn assess_with_counters(bencher: Bencher) {
    let engine = Engine::default();
    let counters = MemoryCounters::default();
    let events = events();
    let facts = PhoneFacts::default();
    let mut i = 0usize;
    let mut now = 1_700_000_000u64;
    bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) % events.len();
        now += i as u64 % 2;
        let event = &events[i];
        let values = counters.apply(&counter_ops(event), now);
        black_box(engine.assess(event, &facts, &values, now))
    });
}

/// Engine::assess alone (features and rules) on precomputed counters.
#[divan::bench(sample_count = 50, sample_size = 200)]
fn assess_only(bencher: Bencher) {
    let engine = Engine::default();
    let counters = MemoryCounters::default();
    let events = events();
    let facts = PhoneFacts::default();
    let values: Vec<_> = events
        .iter()
        .map(|e| counters.apply(&counter_ops(e), 1_700_000_000))
        .collect();
    let mut i = 0usize;
    bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) % events.len();
        black_box(engine.assess(&events[i], &facts, &values[i], 1_700_000_000))
    });
}

/// The same as `assess_with_counters` with every rule in the CEL
/// interpreter (no native conditions), for comparison.
#[divan::bench(sample_count = 50, sample_size = 200)]
fn assess_with_counters_interpreted(bencher: Bencher) {
    let engine = Engine::interpreted(phoneguard_risk::RuleSet::default_rules());
    let counters = MemoryCounters::default();
    let events = events();
    let facts = PhoneFacts::default();
    let mut i = 0usize;
    let mut now = 1_700_000_000u64;
    bencher.counter(ItemsCount::new(1usize)).bench_local(|| {
        i = (i + 1) % events.len();
        now += i as u64 % 2;
        let event = &events[i];
        let values = counters.apply(&counter_ops(event), now);
        black_box(engine.assess(event, &facts, &values, now))
    });
}
