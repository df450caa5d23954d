//! `pg-loadgen`: sends requests at a fixed rate (open loop: a slow answer does not
//! slow the sender, so queueing shows in the latency) and prints latency
//! percentiles. Refuses any target that is not on the loopback interface, and
//! always stops after `--duration`.
//!
//! `--scenario verify-pair` sends verification start+check pairs instead (see
//! [`verify`]): `--rate` pairs per second, started round robin on `--url` and
//! every `--node`, each checked on the next node of that list.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use tokio::sync::{Mutex, Semaphore};

mod verify;

/// What one unit of load is.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Scenario {
    /// One request to `--url` (GET, or POST of a `--bodies` line).
    Request,
    /// A verification start, its code from the sandbox outbox, and its check.
    VerifyPair,
}

/// Open-loop HTTP load at a fixed rate against a loopback server.
#[derive(Parser)]
struct Args {
    /// Target URL (loopback only), e.g. http://127.0.0.1:8080/v1/risk/register
    #[arg(long)]
    url: String,
    /// Requests per second.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Seconds to send for (at most 120).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Bearer token for the Authorization header.
    #[arg(long)]
    key: Option<String>,
    /// POST the lines of this file as JSON bodies, cycling (GET when absent).
    #[arg(long)]
    bodies: Option<std::path::PathBuf>,
    /// Take this member of each JSON line as the body (e.g. `event`).
    #[arg(long)]
    field: Option<String>,
    /// Most requests in flight.
    #[arg(long, default_value_t = 2000)]
    max_in_flight: usize,
    /// What one unit of load is.
    #[arg(long, value_enum, default_value_t = Scenario::Request)]
    scenario: Scenario,
    /// verify-pair: base URL of a further node (repeatable); `--url` is the first.
    #[arg(long = "node")]
    nodes: Vec<String>,
}

fn loopback_only(url: &str) -> anyhow::Result<()> {
    let parsed = reqwest::Url::parse(url).context("--url")?;
    let host = parsed.host_str().context("--url has no host")?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let addrs: Vec<IpAddr> = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()?
        .map(|a| a.ip())
        .collect();
    if addrs.is_empty() || !addrs.iter().all(IpAddr::is_loopback) {
        bail!("refusing {host}: load is only ever sent to loopback addresses");
    }
    Ok(())
}

fn load_bodies(args: &Args) -> anyhow::Result<Vec<String>> {
    let Some(path) = &args.bodies else {
        return Ok(vec![]);
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = vec![];
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match &args.field {
            Some(f) => {
                let v: serde_json::Value = serde_json::from_str(line)?;
                out.push(
                    v.get(f)
                        .with_context(|| format!("a line has no member {f}"))?
                        .to_string(),
                );
            }
            None => out.push(line.to_string()),
        }
    }
    if out.is_empty() {
        bail!("{} holds no bodies", path.display());
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    loopback_only(&args.url)?;
    for n in &args.nodes {
        loopback_only(n)?;
    }
    let nodes: Arc<Vec<String>> = Arc::new(
        std::iter::once(&args.url)
            .chain(&args.nodes)
            .map(|u| u.trim_end_matches('/').to_string())
            .collect(),
    );
    if args.scenario == Scenario::VerifyPair && args.key.is_none() {
        bail!("--scenario verify-pair needs --key (a pk_test_ key: sandbox suppliers)");
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        * 1000;
    let first_error = Arc::new(std::sync::OnceLock::<String>::new());
    if args.duration == 0 || args.duration > 120 || args.rate == 0 || args.rate > 100_000 {
        bail!("--duration must be 1..=120 s and --rate 1..=100000/s");
    }
    let bodies = Arc::new(load_bodies(&args)?);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.max_in_flight)
        .build()?;
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(
        1, 60_000_000, 3,
    )?));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let slots = Arc::new(Semaphore::new(args.max_in_flight));
    let total = u64::from(args.rate) * args.duration;
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let start = Instant::now();
    let mut dropped = 0u64;
    let mut tasks = tokio::task::JoinSet::new();
    // Pacing on an OS thread: tokio's timer has millisecond ticks, so a request
    // due between two ticks would go out up to 1 ms late, and since latency is
    // counted from the due time, every figure would carry that lag.
    // `thread::sleep` wakes within the kernel's timer slack (~50 µs).
    let (due_tx, mut due_rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    let pacer = std::thread::spawn(move || {
        for i in 0..total {
            let due = start + interval.mul_f64(i as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if due_tx.send((i, due)).is_err() {
                break;
            }
        }
    });
    while let Some((i, due)) = due_rx.recv().await {
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            dropped += 1;
            continue;
        };
        let (client, url, key, bodies, hist, errors) = (
            client.clone(),
            args.url.clone(),
            args.key.clone(),
            bodies.clone(),
            hist.clone(),
            errors.clone(),
        );
        if args.scenario == Scenario::VerifyPair {
            let (nodes, first_error) = (nodes.clone(), first_error.clone());
            tasks.spawn(async move {
                let n = nodes.len() as u64;
                let (start_at, check_at) =
                    (&nodes[(i % n) as usize], &nodes[((i + 1) % n) as usize]);
                let phone = verify::phone(seed, i);
                let t = Instant::now();
                let r = verify::pair(
                    &client,
                    start_at,
                    check_at,
                    key.as_deref().unwrap_or(""),
                    &phone,
                )
                .await;
                let us = due.elapsed().as_micros().max(t.elapsed().as_micros()) as u64;
                hist.lock().await.saturating_record(us.max(1));
                if let Err(e) = r {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = first_error.set(e.to_string());
                }
                drop(permit);
            });
            while tasks.try_join_next().is_some() {}
            continue;
        }
        tasks.spawn(async move {
            let mut req = if bodies.is_empty() {
                client.get(&url)
            } else {
                let b = &bodies[i as usize % bodies.len()];
                client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(b.clone())
            };
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            let t = Instant::now();
            let ok = match req.send().await {
                Ok(r) => {
                    let good = r.status().is_success();
                    let _ = r.bytes().await;
                    good
                }
                Err(_) => false,
            };
            // Latency counts from when the request was due, so sender lag shows too.
            let us = due.elapsed().as_micros().max(t.elapsed().as_micros()) as u64;
            hist.lock().await.saturating_record(us.max(1));
            if !ok {
                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    let _ = pacer.join();
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed().as_secs_f64();
    let h = hist.lock().await;
    let p = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "sent {} in {elapsed:.1}s ({:.0}/s), non-2xx or failed {}, not sent (in-flight cap) {dropped}",
        h.len(),
        h.len() as f64 / elapsed,
        errors.load(std::sync::atomic::Ordering::Relaxed)
    );
    if let Some(e) = first_error.get() {
        println!("first failure: {e}");
    }
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        p(0.5),
        p(0.9),
        p(0.99),
        p(0.999),
        h.max() as f64 / 1000.0
    );
    Ok(())
}
