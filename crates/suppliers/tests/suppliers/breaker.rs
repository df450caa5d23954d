//! Property tests of the circuit breaker's state machine.

use std::time::{Duration, Instant};

use phoneguard_suppliers::router::breaker::{Breaker, BreakerConfig, Permit, State};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Call(bool),
    Cancel,
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => any::<bool>().prop_map(Step::Call),
        1 => Just(Step::Cancel),
        2 => (0u64..300).prop_map(Step::Wait),
    ]
}

proptest! {
    #[test]
    fn the_breaker_keeps_its_promises(failures in 1u32..6, steps in proptest::collection::vec(step(), 0..200)) {
        let cfg = BreakerConfig { failures, open_for: Duration::from_millis(100) };
        let mut b = Breaker::new(cfg);
        let mut now = Instant::now();
        let mut consecutive = 0u32;
        for s in steps {
            match s {
                Step::Wait(ms) => now += Duration::from_millis(ms),
                Step::Cancel => {
                    let before = b.state();
                    let p = b.allow(now);
                    b.release(p);
                    if let State::Open { until } = before && now < until {
                        prop_assert_eq!(p, Permit::Denied);
                    }
                }
                Step::Call(ok) => {
                    let before = b.state();
                    let p = b.allow(now);
                    match before {
                        State::Closed { .. } => prop_assert_eq!(p, Permit::Call),
                        State::Open { until } if now < until => prop_assert_eq!(p, Permit::Denied),
                        State::Open { .. } => prop_assert_eq!(p, Permit::Probe),
                        State::HalfOpen { .. } => {}
                    }
                    if p == Permit::Probe {
                        // While a probe is out, nobody else gets through.
                        prop_assert_eq!(b.allow(now), Permit::Denied);
                    }
                    if p == Permit::Denied {
                        continue;
                    }
                    b.record(ok, now);
                    match (p, ok) {
                        (Permit::Probe, true) => { prop_assert_eq!(b.state(), State::Closed { failures: 0 }); consecutive = 0; }
                        (Permit::Probe, false) => { prop_assert_eq!(b.state(), State::Open { until: now + cfg.open_for }); consecutive = 0; }
                        (_, true) => { consecutive = 0; prop_assert_eq!(b.state(), State::Closed { failures: 0 }); }
                        (_, false) => {
                            consecutive += 1;
                            if consecutive >= failures {
                                let open = matches!(b.state(), State::Open { .. });
                                prop_assert!(open);
                                consecutive = 0;
                            } else {
                                prop_assert_eq!(b.state(), State::Closed { failures: consecutive });
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_stuck_probe_does_not_block_the_supplier_forever() {
    let cfg = BreakerConfig {
        failures: 1,
        open_for: Duration::from_millis(100),
    };
    let mut b = Breaker::new(cfg);
    let t0 = Instant::now();
    b.record(false, t0);
    assert_eq!(b.allow(t0 + Duration::from_millis(100)), Permit::Probe);
    assert_eq!(b.allow(t0 + Duration::from_millis(150)), Permit::Denied);
    assert_eq!(
        b.allow(t0 + Duration::from_millis(200)),
        Permit::Probe,
        "a probe that never reported is replaced"
    );
}
