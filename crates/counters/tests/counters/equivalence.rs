//! The same random op sequences on memory and on Redis read the same.

use phoneguard_core::risk::{MemoryRiskCounters, RiskCounters};
use phoneguard_risk::{CounterOp, DeviceSource, Slot};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::{clean, counters, fresh_prefix, server};

const KEYS: [&str; 5] = [
    "acct:login:alice",
    "ip:1.2.3.4",
    "dev:id:d1",
    "pn:x",
    "acct:login:bob",
];
const MEMBERS: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// Steps of the clock between events, in seconds: bucket and window edges,
/// a day, past the first-seen TTL, and small steps back.
fn step(rng: &mut StdRng) -> i64 {
    const STEPS: [i64; 16] = [
        0, 1, 7, 59, 60, 61, 299, 300, 599, 600, 3_599, 3_600, 3_601, 86_399, 86_400, -90,
    ];
    match rng.random_range(0..100) {
        0 => 31 * 86_400,
        1..=3 => rng.random_range(4_000..90_000),
        4..=9 => -rng.random_range(1..120),
        _ => STEPS[rng.random_range(0..STEPS.len())],
    }
}

fn random_op(rng: &mut StdRng) -> CounterOp {
    let key = KEYS[rng.random_range(0..KEYS.len())].to_string();
    match rng.random_range(0..10) {
        0..=4 => CounterOp::Hit {
            slot: Slot::Ip,
            key,
            record: rng.random_range(0..4) != 0,
        },
        5..=8 => CounterOp::Distinct {
            slot: Slot::IpAccounts,
            key,
            member: (rng.random_range(0..4) != 0)
                .then(|| MEMBERS[rng.random_range(0..MEMBERS.len())].to_string()),
        },
        _ => CounterOp::FirstSeen {
            slot: Slot::DeviceFirstSeen(DeviceSource::DeviceId),
            key,
        },
    }
}

async fn run_seed(url: &str, seed: u64, events: usize) {
    let prefix = fresh_prefix(&format!("eq{seed}"));
    let redis = counters(url, &prefix);
    let memory = MemoryRiskCounters::default();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut now: i64 = 1_700_000_000 + rng.random_range(0..86_400);
    for i in 0..events {
        now = (now + step(&mut rng)).max(1);
        let ops: Vec<CounterOp> = (0..rng.random_range(1..6))
            .map(|_| random_op(&mut rng))
            .collect();
        let want = memory.apply(&ops, now as u64).await.unwrap();
        let got = redis.apply(&ops, now as u64).await.unwrap();
        assert_eq!(
            got.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
            want.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
            "seed {seed}, event {i} at {now}: {ops:?}"
        );
        assert_eq!(got, want, "slots of seed {seed}, event {i}");
    }
    clean(url, &prefix).await;
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn redis_counters_read_what_memory_counters_read_for_random_op_sequences() {
    let url = server();
    for seed in 1..=12 {
        run_seed(&url, seed, 400).await;
    }
}

#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn an_event_touching_many_counters_reads_the_same_on_memory_and_redis() {
    let url = server();
    let prefix = fresh_prefix("event");
    let redis = counters(&url, &prefix);
    let memory = MemoryRiskCounters::default();
    let mut event = phoneguard_risk::RiskEvent::login("alice");
    event.ip = Some("203.0.113.7".into());
    event.pn = Some("13800138000".into());
    event.device_id = Some("dev-42".into());
    event.result = Some(0);
    for (i, t) in [0u64, 30, 90, 700, 4_000, 90_000].into_iter().enumerate() {
        let ops = phoneguard_risk::counter_ops(&event);
        let now = 1_700_000_000 + t;
        let want = memory.apply(&ops, now).await.unwrap();
        let got = redis.apply(&ops, now).await.unwrap();
        assert_eq!(got, want, "event {i}");
    }
    clean(&url, &prefix).await;
}

/// A full distinct set: each event records one member a few seconds after the
/// last (no two members seen at the same second, so "the member seen longest
/// ago" is one member on both stores), read back over the three windows.
#[ignore = "needs Redis: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
#[tokio::test]
async fn a_full_distinct_set_drops_the_member_seen_longest_ago_as_memory_does() {
    use phoneguard_counters::{RedisCountersConfig, RedisRiskCounters};
    use phoneguard_risk::{MemoryCounters, MemoryCountersConfig};

    let url = server();
    let prefix = fresh_prefix("full");
    let max = 3;
    let redis = RedisRiskCounters::new(
        &url,
        phoneguard_core::secrets::HashKey::new(*b"test hash secret, 32 bytes long!"),
        RedisCountersConfig {
            prefix: prefix.clone(),
            max_members: max,
            ..RedisCountersConfig::default()
        },
    )
    .unwrap();
    let memory = MemoryCounters::new(MemoryCountersConfig {
        max_members: max,
        ..MemoryCountersConfig::default()
    });
    let mut rng = StdRng::seed_from_u64(99);
    let mut now = 1_700_000_000u64;
    let mut saturated = false;
    for i in 0..300 {
        now += [1, 7, 61, 299, 601, 3_601][rng.random_range(0..6)];
        let op = CounterOp::Distinct {
            slot: Slot::IpAccounts,
            key: "ipacct:1.2.3.4".into(),
            member: (rng.random_range(0..5) != 0)
                .then(|| MEMBERS[rng.random_range(0..MEMBERS.len())].to_string()),
        };
        let want = memory.apply(std::slice::from_ref(&op), now);
        let got = redis.apply(std::slice::from_ref(&op), now).await.unwrap();
        assert_eq!(got, want, "event {i} at {now}: {op:?}");
        saturated |= want.windows(Slot::IpAccounts)[2] == max as u64;
    }
    assert!(saturated, "the set never filled: the test tests nothing");
    clean(&url, &prefix).await;
}
