//! MemoryCounters keeps the documented window semantics.

use std::sync::Arc;

use phoneguard_risk::{
    CounterOp, CounterReading, MemoryCounters, MemoryCountersConfig, RiskEvent, Slot, counter_ops,
};

const T0: u64 = 1_700_000_000 / 3_600 * 3_600; // on an hour boundary

fn hit(key: &str, record: bool) -> CounterOp {
    CounterOp::Hit {
        slot: Slot::Ip,
        key: key.into(),
        record,
    }
}

fn distinct(key: &str, member: Option<&str>) -> CounterOp {
    CounterOp::Distinct {
        slot: Slot::IpAccounts,
        key: key.into(),
        member: member.map(Into::into),
    }
}

fn windows(c: &MemoryCounters, op: &CounterOp, now: u64) -> [u64; 3] {
    match c.apply_op(op, now) {
        CounterReading::Windows(w) => w,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_current_event_counts_and_peeks_do_not_record() {
    let c = MemoryCounters::default();
    assert_eq!(windows(&c, &hit("k", false), T0), [0, 0, 0]);
    assert!(c.is_empty(), "a peek at an unknown key creates nothing");
    assert_eq!(windows(&c, &hit("k", true), T0), [1, 1, 1]);
    assert_eq!(windows(&c, &hit("k", true), T0 + 1), [2, 2, 2]);
    assert_eq!(windows(&c, &hit("k", false), T0 + 2), [2, 2, 2]);
    assert_eq!(windows(&c, &hit("other", true), T0), [1, 1, 1]);
}

#[test]
fn hits_leave_each_window_at_its_bucket_boundary() {
    let c = MemoryCounters::default();
    windows(&c, &hit("k", true), T0); // minute bucket 0, 5-min bucket 0, hour bucket 0
    // 10 min window = the 10 one-minute buckets ending with now's.
    assert_eq!(windows(&c, &hit("k", false), T0 + 599), [1, 1, 1]);
    assert_eq!(windows(&c, &hit("k", false), T0 + 600), [0, 1, 1]);
    // 1 h = 12 five-minute buckets.
    assert_eq!(windows(&c, &hit("k", false), T0 + 3_599), [0, 1, 1]);
    assert_eq!(windows(&c, &hit("k", false), T0 + 3_600), [0, 0, 1]);
    // 24 h = 24 one-hour buckets.
    assert_eq!(windows(&c, &hit("k", false), T0 + 86_399), [0, 0, 1]);
    assert_eq!(windows(&c, &hit("k", false), T0 + 86_400), [0, 0, 0]);
    // Recording after a long gap starts afresh.
    assert_eq!(windows(&c, &hit("k", true), T0 + 10 * 86_400), [1, 1, 1]);
}

#[test]
fn an_event_younger_than_the_window_minus_a_bucket_always_counts() {
    let c = MemoryCounters::default();
    windows(&c, &hit("k", true), T0 + 59); // end of minute 0
    assert_eq!(windows(&c, &hit("k", false), T0 + 59 + 540), [1, 1, 1]);
}

#[test]
fn out_of_order_events_count_at_the_newest_time() {
    let c = MemoryCounters::default();
    windows(&c, &hit("k", true), T0 + 1_000);
    assert_eq!(windows(&c, &hit("k", true), T0), [2, 2, 2]);
}

#[test]
fn distinct_members_are_counted_by_their_latest_sighting() {
    let c = MemoryCounters::default();
    assert_eq!(windows(&c, &distinct("ip", Some("a")), T0), [1, 1, 1]);
    assert_eq!(windows(&c, &distinct("ip", Some("a")), T0 + 10), [1, 1, 1]);
    assert_eq!(windows(&c, &distinct("ip", Some("b")), T0 + 20), [2, 2, 2]);
    // a seen last at T0+10: out of the 10 min window at T0+610 exactly.
    assert_eq!(windows(&c, &distinct("ip", None), T0 + 609), [2, 2, 2]);
    assert_eq!(windows(&c, &distinct("ip", None), T0 + 610), [1, 2, 2]);
    assert_eq!(
        windows(&c, &distinct("ip", Some("c")), T0 + 4_000),
        [1, 1, 3]
    );
    assert_eq!(windows(&c, &distinct("ip", None), T0 + 86_410), [0, 0, 2]);
}

#[test]
fn distinct_counts_saturate_at_the_member_limit() {
    let c = MemoryCounters::new(MemoryCountersConfig {
        max_members: 3,
        ..MemoryCountersConfig::default()
    });
    for (i, m) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        windows(&c, &distinct("ip", Some(m)), T0 + i as u64);
    }
    assert_eq!(windows(&c, &distinct("ip", None), T0 + 5), [3, 3, 3]);
}

#[test]
fn first_seen_is_kept_and_forgotten_after_its_ttl() {
    let c = MemoryCounters::new(MemoryCountersConfig {
        first_seen_ttl_s: 1_000,
        ..MemoryCountersConfig::default()
    });
    let op = CounterOp::FirstSeen {
        slot: Slot::DeviceFirstSeen(phoneguard_risk::DeviceSource::DeviceId),
        key: "d".into(),
    };
    assert_eq!(c.apply_op(&op, T0), CounterReading::FirstSeen(T0));
    assert_eq!(c.apply_op(&op, T0 + 900), CounterReading::FirstSeen(T0));
    assert_eq!(c.apply_op(&op, T0 + 1_800), CounterReading::FirstSeen(T0));
    assert_eq!(
        c.apply_op(&op, T0 + 2_801),
        CounterReading::FirstSeen(T0 + 2_801)
    );
}

#[test]
fn memory_is_bounded_by_evicting_the_idlest_keys() {
    let c = MemoryCounters::new(MemoryCountersConfig {
        shards: 4,
        max_keys: 400,
        ..MemoryCountersConfig::default()
    });
    for i in 0..5_000u64 {
        windows(&c, &hit(&format!("k{i}"), true), T0 + i);
    }
    assert!(c.len() <= 400, "{} keys held", c.len());
    // The newest key survived.
    assert_eq!(windows(&c, &hit("k4999", false), T0 + 5_000), [1, 1, 1]);
}

#[test]
fn counters_are_shared_safely_between_threads() {
    let c = Arc::new(MemoryCounters::default());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                for i in 0..1_000 {
                    windows(&c, &hit("shared", true), T0);
                    windows(&c, &distinct("set", Some(&format!("{t}-{i}"))), T0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        windows(&c, &hit("shared", false), T0),
        [4_000, 4_000, 4_000]
    );
    assert_eq!(
        windows(&c, &distinct("set", None), T0),
        [1_024, 1_024, 1_024]
    );
}

#[test]
fn apply_tags_each_reading_with_its_slot() {
    let c = MemoryCounters::default();
    let mut e = RiskEvent::register("a");
    e.ip = Some("58.30.1.7".into());
    e.device_id = Some("d".into());
    let ops = counter_ops(&e);
    let values = c.apply(&ops, T0);
    assert_eq!(values.iter().count(), ops.len());
    assert_eq!(values.windows(Slot::Ip), [1, 1, 1]);
    assert_eq!(values.windows(Slot::IpFailures), [0, 0, 0]);
    assert_eq!(
        values.first_seen(Slot::DeviceFirstSeen(
            phoneguard_risk::DeviceSource::DeviceId
        )),
        Some(T0)
    );
}
