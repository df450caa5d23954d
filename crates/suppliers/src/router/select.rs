//! The order in which suppliers are tried: eligible ones (enabled, capability,
//! carrier coverage, serving the key's mode: sandbox suppliers for test keys,
//! never a sandbox one for live keys; circuit not open) in a weighted random
//! order, each supplier's share being
//!
//! `weight × success_rate² × ((cheapest + 1) / (price + 1))^price_weight`
//!
//! so traffic follows the operator's weights, leans away from failing
//! suppliers before their breaker opens, and leans towards cheaper ones.

use std::sync::Arc;
use std::time::Instant;

use phoneguard_core::KeyMode;
use phoneguard_core::suppliers::Capability;
use rand::Rng;

use super::Route;

/// Eligible routes for a query, in the order to try them.
pub fn order(
    routes: &[Arc<Route>],
    cap: Capability,
    carrier: Option<&str>,
    mode: KeyMode,
    price_weight: f64,
    now: Instant,
) -> Vec<Arc<Route>> {
    let eligible: Vec<&Arc<Route>> = routes
        .iter()
        .filter(|r| {
            r.config.enabled
                && r.config.capabilities.contains(&cap)
                && r.config.covers_query(cap, carrier)
                && r.config.serves(mode)
                && r.state.lock().is_ok_and(|s| s.breaker.is_available(now))
        })
        .collect();
    let cheapest = eligible
        .iter()
        .map(|r| r.config.price_milli)
        .min()
        .unwrap_or(0);
    let mut rng = rand::rng();
    let mut keyed: Vec<(f64, &Arc<Route>)> = eligible
        .into_iter()
        .map(|r| {
            let health = r
                .state
                .lock()
                .map(|s| s.health.success_rate())
                .unwrap_or(0.5);
            let price = ((f64::from(cheapest) + 1.0) / (f64::from(r.config.price_milli) + 1.0))
                .powf(price_weight);
            let w = (f64::from(r.config.weight) * health * health * price).max(1e-9);
            // Efraimidis–Spirakis: sorting by u^(1/w) descending is a weighted
            // random permutation; -ln(u)/w ascending is the same order.
            let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
            (-u.ln() / w, r)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    keyed.into_iter().map(|(_, r)| r.clone()).collect()
}
