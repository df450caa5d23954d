//! Redis CPU per risk event of [`RedisRiskCounters`], without HTTP around it:
//! applies the counter ops of recorded events (the JSON lines of
//! `cargo run --release -p phoneguard-risk --example traffic -- --jsonl FILE`)
//! with a few events in flight, and reads Redis's own CPU time (`INFO cpu`,
//! main thread) before and after.
//!
//! ```text
//! cargo run --release -p phoneguard-counters --example event_cost -- \
//!     REDIS_URL EVENTS.jsonl [EVENTS_TO_RUN] [IN_FLIGHT]
//! ```
//!
//! Keys go under a fresh prefix `pgcost:{random}` and are deleted at the end.

use std::sync::Arc;
use std::time::Instant;

use phoneguard_core::risk::RiskCounters;
use phoneguard_core::secrets::{HashKey, random_base62};
use phoneguard_counters::{RedisCountersConfig, RedisRiskCounters};
use phoneguard_risk::{CounterOp, RiskEvent, counter_ops};

/// One line of the traffic file.
#[derive(serde::Deserialize)]
struct Line {
    at: u64,
    event: RiskEvent,
}

/// Redis's main-thread CPU seconds (user + sys).
async fn redis_cpu(conn: &mut redis::aio::MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("cpu")
        .query_async(conn)
        .await
        .expect("INFO cpu");
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    match (
        field("used_cpu_user_main_thread"),
        field("used_cpu_sys_main_thread"),
    ) {
        (Some(u), Some(s)) => u + s,
        _ => field("used_cpu_user").unwrap_or(0.0) + field("used_cpu_sys").unwrap_or(0.0),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, file, rest @ ..] = args.as_slice() else {
        eprintln!("usage: event_cost REDIS_URL EVENTS.jsonl [EVENTS_TO_RUN] [IN_FLIGHT]");
        std::process::exit(2);
    };
    let total: usize = rest
        .first()
        .map_or(20_000, |n| n.parse().expect("EVENTS_TO_RUN"));
    let in_flight: usize = rest.get(1).map_or(8, |n| n.parse().expect("IN_FLIGHT"));
    let text = std::fs::read_to_string(file).expect("events file");
    let events: Vec<(u64, Vec<CounterOp>)> = text
        .lines()
        .map(|l| {
            let line: Line = serde_json::from_str(l).expect("event line");
            (line.at, counter_ops(&line.event))
        })
        .collect();
    let events = Arc::new(events);
    let ops: usize = (0..total).map(|i| events[i % events.len()].1.len()).sum();

    let prefix = format!("pgcost:{}", random_base62(8));
    let config = RedisCountersConfig {
        prefix: prefix.clone(),
        ..RedisCountersConfig::default()
    };
    let counters = Arc::new(
        RedisRiskCounters::new(
            url,
            HashKey::new(*b"cost hash secret, 32 bytes long!"),
            config,
        )
        .expect("counters"),
    );
    counters.connect().await.expect("connect");
    let client = redis::Client::open(url.as_str()).expect("url");
    let mut admin = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect");

    let cpu0 = redis_cpu(&mut admin).await;
    let t0 = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (counters, events, next) = (counters.clone(), events.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let (at, ops) = &events[i % events.len()];
                    counters.apply(ops, *at).await.expect("apply");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = redis_cpu(&mut admin).await - cpu0;
    println!(
        "{total} events ({:.1} ops each), {in_flight} in flight: {:.0} events/s; \
         Redis main thread {:.2} s = {:.1} us/event",
        ops as f64 / total as f64,
        total as f64 / wall,
        cpu,
        cpu / total as f64 * 1e6
    );

    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut admin)
        .await
        .expect("KEYS");
    for chunk in keys.chunks(1_000) {
        let _: () = redis::cmd("DEL")
            .arg(chunk)
            .query_async(&mut admin)
            .await
            .expect("DEL");
    }
}
