//! Router overhead under load: an open-loop 2,000 requests/s for 5 s against a
//! fake status supplier with a fixed 1 ms latency, once called directly and once
//! through the router (selection, breaker, health, deadline, call records).
//! Prints p50/p99/max of both and the added latency. Then the same load while
//! one of two suppliers is dead, failing fast and then hanging (issue 3: zero
//! failed requests, p99 within the deadline).
//!
//! The overhead run is repeated for `carrier_auth` (a token exchange).
//!
//! `cargo bench -p phoneguard-suppliers --bench router`

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use phoneguard_core::KeyMode;
use phoneguard_core::store::StoreResult;
use phoneguard_core::suppliers::*;
use phoneguard_suppliers::router::Router;

struct NullStore;

#[async_trait]
impl SupplierStore for NullStore {
    async fn list_suppliers(&self) -> StoreResult<Vec<SupplierRecord>> {
        Ok(vec![])
    }
    async fn get_supplier(&self, _: &str) -> StoreResult<Option<SupplierRecord>> {
        Ok(None)
    }
    async fn insert_supplier(&self, _: &SupplierRecord) -> StoreResult<()> {
        Ok(())
    }
    async fn update_supplier(&self, _: &SupplierRecord) -> StoreResult<bool> {
        Ok(false)
    }
    async fn delete_supplier(&self, _: &str) -> StoreResult<bool> {
        Ok(false)
    }
    async fn put_sandbox_subscriber(&self, _: &SandboxSubscriber) -> StoreResult<()> {
        Ok(())
    }
    async fn get_sandbox_subscriber(
        &self,
        _: &str,
        _: &str,
    ) -> StoreResult<Option<SandboxSubscriber>> {
        Ok(None)
    }
    async fn insert_call_records(&self, _: &[CallRecord]) -> StoreResult<()> {
        Ok(())
    }
    async fn supplier_stats(&self, _: DateTime<Utc>) -> StoreResult<Vec<CallStats>> {
        Ok(vec![])
    }
    async fn tenant_stats(&self, _: DateTime<Utc>) -> StoreResult<Vec<TenantCapabilityCount>> {
        Ok(vec![])
    }
}

/// Answers after a fixed latency (spin-free: a tokio sleep).
struct Fixed(Duration);

#[async_trait]
impl Supplier for Fixed {
    async fn call(&self, _: &Query) -> Result<Answer, SupplierError> {
        tokio::time::sleep(self.0).await;
        Ok(Answer::Status(StatusAnswer {
            status: LineStatus::Normal,
            carrier: None,
            ported: None,
        }))
    }
}

/// A carrier supplier answering a number after a fixed latency.
struct FixedCarrier(Duration);

#[async_trait]
impl Supplier for FixedCarrier {
    async fn call(&self, _: &Query) -> Result<Answer, SupplierError> {
        tokio::time::sleep(self.0).await;
        Ok(Answer::Carrier(CarrierAnswer::Number {
            e164: "+8613800138000".into(),
            carrier: Some("cmcc".into()),
        }))
    }
}

/// Fails every call: at once (`hang: false`) or never answering (`hang: true`).
struct Dead {
    hang: bool,
}

#[async_trait]
impl Supplier for Dead {
    async fn call(&self, _: &Query) -> Result<Answer, SupplierError> {
        if self.hang {
            std::future::pending::<()>().await;
        }
        Err(SupplierError::HttpStatus(502))
    }
}

fn query() -> Query {
    Query {
        capability: Capability::Status,
        subject: Subject {
            tenant_id: "ten_bench".into(),
            e164: "+8613800138000".into(),
            national: "13800138000".into(),
            carrier: Some("cmcc".into()),
        },
        identity: None,
        carrier: None,
    }
}

async fn load(
    rate: u32,
    secs: u32,
    f: Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>,
) -> Vec<Duration> {
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    let mut handles = Vec::with_capacity((rate * secs) as usize);
    for _ in 0..rate * secs {
        tick.tick().await;
        let f = f.clone();
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            f().await;
            t.elapsed()
        }));
    }
    let mut out = vec![];
    for h in handles {
        out.push(h.await.unwrap());
    }
    out.sort();
    out
}

fn pct(v: &[Duration], p: f64) -> Duration {
    v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let latency = Duration::from_millis(1);
        let supplier: Arc<dyn Supplier> = Arc::new(Fixed(latency));
        let router = Arc::new(Router::new(RouterConfig::default(), Arc::new(NullStore)));
        let mk = |id: &str| -> SupplierConfig {
            serde_json::from_value(serde_json::json!({"id": id, "kind": "http", "capabilities": ["status"], "weight": 10})).unwrap()
        };
        router.set_routes(vec![(mk("a"), supplier.clone()), (mk("b"), supplier.clone())]);
        let q = Arc::new(query());
        let (s, qd) = (supplier.clone(), q.clone());
        let direct = load(2000, 5, Arc::new(move || { let (s, q) = (s.clone(), qd.clone()); Box::pin(async move { s.call(&q).await.unwrap(); }) })).await;
        let (r, qr) = (router.clone(), q.clone());
        let routed = load(2000, 5, Arc::new(move || { let (r, q) = (r.clone(), qr.clone()); Box::pin(async move { r.query(&q, KeyMode::Live).await.unwrap(); }) })).await;
        for (name, v) in [("direct", &direct), ("router", &routed)] {
            println!("{name:>7}: n={} p50={:?} p99={:?} max={:?}", v.len(), pct(v, 0.5), pct(v, 0.99), v[v.len() - 1]);
        }
        println!("added latency: p50 {:?}, p99 {:?}", pct(&routed, 0.5).saturating_sub(pct(&direct, 0.5)), pct(&routed, 0.99).saturating_sub(pct(&direct, 0.99)));

        // carrier_auth: the same, for a token exchange (GetMobile).
        let carrier: Arc<dyn Supplier> = Arc::new(FixedCarrier(latency));
        let router = Arc::new(Router::new(RouterConfig::default(), Arc::new(NullStore)));
        let mkc = |id: &str| -> SupplierConfig {
            serde_json::from_value(serde_json::json!({"id": id, "kind": "http", "capabilities": ["carrier_auth"], "weight": 10})).unwrap()
        };
        router.set_routes(vec![(mkc("ca"), carrier.clone()), (mkc("cb"), carrier.clone())]);
        let mut cq = query();
        cq.capability = Capability::CarrierAuth;
        cq.subject.carrier = None;
        cq.carrier = Some(CarrierQuery { token: CarrierToken::parse("STsid0000001512438403572hQSEygBwiYc9fIw0vbMvm4o").unwrap(), verify: false });
        let cq = Arc::new(cq);
        let (s, qd) = (carrier.clone(), cq.clone());
        let direct = load(2000, 5, Arc::new(move || { let (s, q) = (s.clone(), qd.clone()); Box::pin(async move { s.call(&q).await.unwrap(); }) })).await;
        let (r, qr) = (router.clone(), cq.clone());
        let routed = load(2000, 5, Arc::new(move || { let (r, q) = (r.clone(), qr.clone()); Box::pin(async move { r.query(&q, KeyMode::Live).await.unwrap(); }) })).await;
        for (name, v) in [("carrier_auth direct", &direct), ("carrier_auth router", &routed)] {
            println!("{name:>7}: n={} p50={:?} p99={:?} max={:?}", v.len(), pct(v, 0.5), pct(v, 0.99), v[v.len() - 1]);
        }
        println!("carrier_auth added latency: p50 {:?}, p99 {:?}", pct(&routed, 0.5).saturating_sub(pct(&direct, 0.5)), pct(&routed, 0.99).saturating_sub(pct(&direct, 0.99)));

        for hang in [false, true] {
            let cfg = RouterConfig::default();
            let deadline = Duration::from_millis(cfg.deadline_ms);
            let router = Arc::new(Router::new(cfg, Arc::new(NullStore)));
            router.set_routes(vec![
                (mk("dead"), Arc::new(Dead { hang }) as Arc<dyn Supplier>),
                (mk("alive"), supplier.clone()),
            ]);
            let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let (r, qf, f) = (router.clone(), q.clone(), failed.clone());
            let v = load(2000, 5, Arc::new(move || {
                let (r, q, f) = (r.clone(), qf.clone(), f.clone());
                Box::pin(async move {
                    if r.query(&q, KeyMode::Live).await.is_err() {
                        f.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                })
            }))
            .await;
            println!(
                "failover ({}): n={} failed={} p50={:?} p99={:?} max={:?} (deadline {:?}; dead supplier's breaker: {})",
                if hang { "dead supplier hangs" } else { "dead supplier fails fast" },
                v.len(),
                failed.load(std::sync::atomic::Ordering::Relaxed),
                pct(&v, 0.5),
                pct(&v, 0.99),
                v[v.len() - 1],
                deadline,
                router.health("dead").map_or("-", |h| h.breaker),
            );
        }
    });
}
