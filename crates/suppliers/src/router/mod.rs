//! The router: one query, many suppliers. It orders the eligible suppliers
//! ([`select`]), asks them one after another within the request's deadline
//! (each call bounded by `attempt_timeout_ms`), optionally hedges status
//! lookups, keeps each supplier's health and circuit breaker, and leaves a
//! call record for every call.

pub mod breaker;
pub mod health;
pub mod recorder;
pub mod select;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use phoneguard_core::KeyMode;
pub use phoneguard_core::suppliers::RouterConfig;
use phoneguard_core::suppliers::{
    Answer, CallRecord, Capability, Query, Supplier, SupplierConfig, SupplierError, SupplierStore,
};
use serde::Serialize;

use breaker::{Breaker, BreakerConfig, Permit};
use health::Health;
use recorder::Recorder;

/// Live state of one supplier, kept across configuration changes.
#[derive(Debug)]
pub struct RouteState {
    /// Circuit breaker.
    pub breaker: Breaker,
    /// Moving window of outcomes.
    pub health: Health,
}

/// A configured supplier with its adapter and live state.
pub struct Route {
    /// Configuration (credentials removed).
    pub config: SupplierConfig,
    /// The adapter.
    pub supplier: Arc<dyn Supplier>,
    /// Health and breaker.
    pub state: Arc<Mutex<RouteState>>,
}

/// A successful routed query.
#[derive(Debug, Clone)]
pub struct Routed {
    /// The answer.
    pub answer: Answer,
    /// Who answered.
    pub supplier_id: String,
    /// Calls made (1 when the first supplier answered; 0 when cached).
    pub attempts: u32,
    /// When the supplier answered (earlier than now for a cached answer).
    pub answered_at: chrono::DateTime<Utc>,
    /// Whether the answer came from the status cache (`router.status_cache_ttl_s`).
    pub cached: bool,
}

/// Why no answer could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouterError {
    /// No enabled supplier has the capability for this number (and key mode),
    /// or all of their circuits are open.
    #[error("no supplier available for {0}")]
    NoSupplier(&'static str),
    /// Every supplier tried failed, or the deadline passed.
    #[error("{attempts} supplier call(s) for {capability} failed; last: {last}")]
    AllFailed {
        /// Capability code.
        capability: &'static str,
        /// Calls made.
        attempts: u32,
        /// The last failure's outcome label.
        last: &'static str,
    },
}

/// Live figures of one supplier, for the admin API.
#[derive(Debug, Clone, Serialize)]
pub struct RouteHealth {
    /// `closed`, `open`, `half_open`.
    pub breaker: &'static str,
    /// Calls in the window.
    pub window_calls: usize,
    /// Smoothed success rate of the window, `(successes + 1) / (calls + 2)`;
    /// `None` (JSON `null`) while the window holds no call: no calls, no rate.
    pub success_rate: Option<f64>,
    /// Median latency over the window (ms).
    pub p50_ms: f64,
}

/// The router.
pub struct Router {
    cfg: RouterConfig,
    routes: RwLock<Arc<Vec<Arc<Route>>>>,
    states: Mutex<HashMap<String, Arc<Mutex<RouteState>>>>,
    recorder: Recorder,
    status_cache: Option<moka::sync::Cache<String, Routed>>,
}

type AttemptFuture<'a> =
    Pin<Box<dyn Future<Output = (usize, Result<Answer, SupplierError>)> + Send + 'a>>;

impl Router {
    /// A router without suppliers; records go to `store` in the background.
    pub fn new(cfg: RouterConfig, store: Arc<dyn SupplierStore>) -> Self {
        let status_cache = (cfg.status_cache_ttl_s > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(cfg.status_cache_capacity)
                .time_to_live(Duration::from_secs(cfg.status_cache_ttl_s))
                .build()
        });
        Router {
            cfg,
            routes: RwLock::new(Arc::new(vec![])),
            states: Mutex::new(HashMap::new()),
            recorder: Recorder::spawn(store),
            status_cache,
        }
    }

    /// The settings.
    pub fn config(&self) -> &RouterConfig {
        &self.cfg
    }

    /// Replaces the suppliers; health and breakers of ids kept survive.
    pub fn set_routes(&self, suppliers: Vec<(SupplierConfig, Arc<dyn Supplier>)>) {
        let mut states = self.states.lock().expect("router state lock");
        let routes: Vec<Arc<Route>> = suppliers
            .into_iter()
            .map(|(mut config, supplier)| {
                config.credentials = None;
                let state = states
                    .entry(config.id.clone())
                    .or_insert_with(|| Arc::new(Mutex::new(self.new_state())))
                    .clone();
                Arc::new(Route {
                    config,
                    supplier,
                    state,
                })
            })
            .collect();
        states.retain(|id, _| routes.iter().any(|r| &r.config.id == id));
        *self.routes.write().expect("router routes lock") = Arc::new(routes);
    }

    fn new_state(&self) -> RouteState {
        RouteState {
            breaker: Breaker::new(BreakerConfig {
                failures: self.cfg.breaker_failures,
                open_for: Duration::from_millis(self.cfg.breaker_open_ms),
            }),
            health: Health::new(self.cfg.health_window as usize),
        }
    }

    /// The current routes.
    pub fn routes(&self) -> Arc<Vec<Arc<Route>>> {
        self.routes.read().expect("router routes lock").clone()
    }

    /// Live figures of a supplier.
    pub fn health(&self, id: &str) -> Option<RouteHealth> {
        let states = self.states.lock().ok()?;
        let s = states.get(id)?.lock().ok()?;
        Some(RouteHealth {
            breaker: s.breaker.label(),
            window_calls: s.health.len(),
            success_rate: (!s.health.is_empty()).then(|| s.health.success_rate()),
            p50_ms: s.health.latency_ms(0.5),
        })
    }

    /// Whether any enabled supplier reachable with `mode` has the capability.
    pub fn has_capability(&self, cap: Capability, mode: KeyMode) -> bool {
        self.routes().iter().any(|r| {
            r.config.enabled && r.config.capabilities.contains(&cap) && r.config.serves(mode)
        })
    }

    /// Where calls made outside the router (verification sends) are recorded,
    /// in the same queue as the router's own.
    pub fn call_log(&self) -> Arc<dyn phoneguard_core::suppliers::CallLog> {
        Arc::new(self.recorder.clone())
    }

    /// Writes queued call records (the stats endpoint calls this first).
    pub async fn flush_records(&self) {
        self.recorder.flush().await;
    }

    /// Answers a query through the suppliers, within the deadline. Status
    /// answers come from the per-tenant cache when it is on and holds one.
    pub async fn query(&self, q: &Query, mode: KeyMode) -> Result<Routed, RouterError> {
        let cache = self
            .status_cache
            .as_ref()
            .filter(|_| q.capability == Capability::Status);
        let Some(cache) = cache else {
            return self.ask_suppliers(q, mode).await;
        };
        let key = format!(
            "{}\u{1f}{}\u{1f}{}",
            q.subject.tenant_id,
            mode.as_str(),
            q.subject.e164
        );
        if let Some(mut hit) = cache.get(&key) {
            metrics::counter!("phoneguard_status_cache_total", "outcome" => "hit").increment(1);
            hit.cached = true;
            hit.attempts = 0;
            return Ok(hit);
        }
        metrics::counter!("phoneguard_status_cache_total", "outcome" => "miss").increment(1);
        let routed = self.ask_suppliers(q, mode).await?;
        cache.insert(key, routed.clone());
        Ok(routed)
    }

    async fn ask_suppliers(&self, q: &Query, mode: KeyMode) -> Result<Routed, RouterError> {
        let start = Instant::now();
        let deadline = start + Duration::from_millis(self.cfg.deadline_ms);
        let routes = self.routes();
        let order = select::order(
            &routes,
            q.capability,
            q.subject.carrier.as_deref(),
            mode,
            self.cfg.price_weight,
            start,
        );
        if order.is_empty() {
            return Err(RouterError::NoSupplier(q.capability.as_str()));
        }
        let hedge = (self.cfg.hedge_after_ms > 0 && q.capability == Capability::Status)
            .then(|| Duration::from_millis(self.cfg.hedge_after_ms));
        let mut attempts = 0u32;
        let mut last: &'static str = "timeout";
        let mut next = 0usize;
        let mut inflight: Vec<AttemptFuture<'_>> = vec![];
        loop {
            let now = Instant::now();
            if inflight.is_empty() {
                match self.launch(&order, &mut next, q, deadline, now) {
                    Some(f) => {
                        attempts += 1;
                        inflight.push(f);
                    }
                    None if attempts == 0 => {
                        return Err(RouterError::NoSupplier(q.capability.as_str()));
                    }
                    None => break,
                }
            }
            let hedge_at = hedge
                .filter(|_| inflight.len() == 1 && next < order.len())
                .map(|h| now + h);
            let race = futures_select(&mut inflight);
            let outcome = match hedge_at {
                Some(at) => tokio::select! {
                    r = race => Some(r),
                    _ = tokio::time::sleep_until(at.into()) => None,
                },
                None => Some(race.await),
            };
            match outcome {
                Some((i, Ok(answer))) => {
                    inflight.clear();
                    return Ok(Routed {
                        answer,
                        supplier_id: order[i].config.id.clone(),
                        attempts,
                        answered_at: Utc::now(),
                        cached: false,
                    });
                }
                Some((_, Err(e))) => last = e.outcome(),
                None => {
                    if let Some(f) = self.launch(&order, &mut next, q, deadline, Instant::now()) {
                        attempts += 1;
                        inflight.push(f);
                    }
                }
            }
            if Instant::now() >= deadline && inflight.is_empty() {
                break;
            }
        }
        Err(RouterError::AllFailed {
            capability: q.capability.as_str(),
            attempts,
            last,
        })
    }

    /// Starts a call to the next supplier whose breaker admits it.
    fn launch<'a>(
        &'a self,
        order: &'a [Arc<Route>],
        next: &mut usize,
        q: &'a Query,
        deadline: Instant,
        now: Instant,
    ) -> Option<AttemptFuture<'a>> {
        let remaining = deadline
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())?;
        while *next < order.len() {
            let i = *next;
            *next += 1;
            let route = &order[i];
            let permit = route
                .state
                .lock()
                .map(|mut s| s.breaker.allow(now))
                .unwrap_or(Permit::Denied);
            if permit == Permit::Denied {
                continue;
            }
            let timeout = remaining.min(Duration::from_millis(self.cfg.attempt_timeout_ms));
            return Some(Box::pin(async move {
                (i, self.attempt(route, permit, q, timeout).await)
            }));
        }
        None
    }

    async fn attempt(
        &self,
        route: &Route,
        permit: Permit,
        q: &Query,
        timeout: Duration,
    ) -> Result<Answer, SupplierError> {
        let mut guard = AttemptGuard {
            router: self,
            route,
            permit,
            q,
            start: Instant::now(),
            done: false,
        };
        let res = match tokio::time::timeout(timeout, route.supplier.call(q)).await {
            Ok(Ok(a)) if a.capability() != q.capability => Err(SupplierError::BadResponse(
                "answer of another capability".into(),
            )),
            Ok(r) => r,
            Err(_) => Err(SupplierError::Timeout(timeout)),
        };
        guard.finish(&res);
        res
    }

    fn record(&self, route: &Route, q: &Query, outcome: &str, latency: Duration) {
        let price = if outcome == "ok" {
            i64::from(route.config.price_milli)
        } else {
            0
        };
        metrics::counter!("phoneguard_supplier_calls_total", "supplier" => route.config.id.clone(),
            "capability" => q.capability.as_str(), "outcome" => outcome.to_string())
        .increment(1);
        metrics::histogram!("phoneguard_supplier_call_duration_seconds", "supplier" => route.config.id.clone(),
            "capability" => q.capability.as_str(), "outcome" => outcome.to_string())
        .record(latency.as_secs_f64());
        self.recorder.record(CallRecord {
            at: Utc::now() - chrono::Duration::from_std(latency).unwrap_or_default(),
            tenant_id: q.subject.tenant_id.clone(),
            supplier_id: route.config.id.clone(),
            capability: q.capability,
            outcome: outcome.to_string(),
            latency_us: i64::try_from(latency.as_micros()).unwrap_or(i64::MAX),
            price_milli: price,
        });
    }
}

/// Records the outcome of a call, or its cancellation when dropped unfinished.
struct AttemptGuard<'a> {
    router: &'a Router,
    route: &'a Route,
    permit: Permit,
    q: &'a Query,
    start: Instant,
    done: bool,
}

impl AttemptGuard<'_> {
    fn finish(&mut self, res: &Result<Answer, SupplierError>) {
        self.done = true;
        let now = Instant::now();
        let latency = now - self.start;
        let cfg = &self.router.cfg;
        if let Ok(mut s) = self.route.state.lock() {
            match res {
                Err(e) if !e.counts_against_health() => s.breaker.release(self.permit),
                _ => {
                    let ok = res.is_ok();
                    if ok && self.permit == Permit::Probe {
                        // Back from an outage: the failures that opened the circuit
                        // must not trip it again at once through the ratio rule.
                        s.health.forget_outcomes();
                    }
                    s.health.observe(ok, latency);
                    s.breaker.record(ok, now);
                    if s.health.len() >= cfg.breaker_min_calls as usize
                        && s.health.failure_ratio() >= cfg.breaker_failure_ratio
                    {
                        s.breaker.trip(now);
                    }
                }
            }
        }
        let outcome = match res {
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        if let Err(e) = res {
            tracing::debug!(supplier = %self.route.config.id, capability = self.q.capability.as_str(), error = %e, "supplier call failed");
        }
        self.router.record(self.route, self.q, outcome, latency);
    }
}

impl Drop for AttemptGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            if let Ok(mut s) = self.route.state.lock() {
                s.breaker.release(self.permit);
            }
            self.router
                .record(self.route, self.q, "cancelled", self.start.elapsed());
        }
    }
}

/// Waits for the first of several attempts; the others keep running until the
/// caller drops them.
async fn futures_select<'a>(
    inflight: &mut Vec<AttemptFuture<'a>>,
) -> (usize, Result<Answer, SupplierError>) {
    std::future::poll_fn(|cx| {
        for k in 0..inflight.len() {
            if let std::task::Poll::Ready(out) = inflight[k].as_mut().poll(cx) {
                drop(inflight.swap_remove(k));
                return std::task::Poll::Ready(out);
            }
        }
        std::task::Poll::Pending
    })
    .await
}
