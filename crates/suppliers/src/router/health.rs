//! Live health of a supplier over a moving window of its last calls.

use std::collections::VecDeque;
use std::time::Duration;

/// Success and latency of the last `capacity` calls.
#[derive(Debug, Clone)]
pub struct Health {
    capacity: usize,
    calls: VecDeque<(bool, u32)>,
    failures: usize,
}

impl Health {
    /// An empty window of `capacity` calls.
    pub fn new(capacity: usize) -> Self {
        Health {
            capacity: capacity.max(1),
            calls: VecDeque::with_capacity(capacity.max(1)),
            failures: 0,
        }
    }

    /// Adds a call.
    pub fn observe(&mut self, ok: bool, latency: Duration) {
        if self.calls.len() == self.capacity
            && let Some((was_ok, _)) = self.calls.pop_front()
            && !was_ok
        {
            self.failures -= 1;
        }
        let us = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
        self.calls.push_back((ok, us));
        if !ok {
            self.failures += 1;
        }
    }

    /// Calls in the window.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no call was observed yet.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Share of failures in the window (0 when empty).
    pub fn failure_ratio(&self) -> f64 {
        if self.calls.is_empty() {
            0.0
        } else {
            self.failures as f64 / self.calls.len() as f64
        }
    }

    /// Forgets the outcomes of the window (a supplier back from an outage starts a
    /// fresh one), keeping its latencies.
    pub fn forget_outcomes(&mut self) {
        for call in &mut self.calls {
            call.0 = true;
        }
        self.failures = 0;
    }

    /// Smoothed success rate, `(successes + 1) / (calls + 2)`: a new supplier starts at ½
    /// (never at zero), so its share grows with its first successes (slow start).
    pub fn success_rate(&self) -> f64 {
        let n = self.calls.len() as f64;
        (n - self.failures as f64 + 1.0) / (n + 2.0)
    }

    /// Latency percentile (0–1) of the window, in milliseconds.
    pub fn latency_ms(&self, p: f64) -> f64 {
        if self.calls.is_empty() {
            return 0.0;
        }
        let mut v: Vec<u32> = self.calls.iter().map(|(_, us)| *us).collect();
        v.sort_unstable();
        let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
        f64::from(v[rank - 1]) / 1000.0
    }
}
