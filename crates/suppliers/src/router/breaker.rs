//! A circuit breaker per supplier, as a pure state machine (time is passed in,
//! so property tests drive it).
//!
//! Closed → Open after `failures` consecutive failures (or when the router
//! trips it on a high failure ratio); Open → HalfOpen once `open_for` has
//! passed, admitting one probe at a time; HalfOpen → Closed on a successful
//! probe, back to Open on a failed one. A probe that never reports (its call was
//! cancelled) is released, and one older than `open_for` no longer blocks the next.

use std::time::{Duration, Instant};

/// Breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failures: u32,
    /// How long the circuit stays open before a probe.
    pub open_for: Duration,
}

/// The state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Calls flow; `failures` consecutive failures so far.
    Closed {
        /// Consecutive failures.
        failures: u32,
    },
    /// No calls until `until`.
    Open {
        /// End of the cool-down.
        until: Instant,
    },
    /// One probe at a time decides.
    HalfOpen {
        /// When the probe in flight started, if one is.
        probe: Option<Instant>,
    },
}

/// Whether a call may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// A normal call.
    Call,
    /// The half-open probe.
    Probe,
    /// Not now.
    Denied,
}

/// The breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    cfg: BreakerConfig,
    state: State,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(cfg: BreakerConfig) -> Self {
        Breaker {
            cfg,
            state: State::Closed { failures: 0 },
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether the breaker would let a call through now (without taking a probe).
    pub fn is_available(&self, now: Instant) -> bool {
        match self.state {
            State::Closed { .. } => true,
            State::Open { until } => now >= until,
            State::HalfOpen { probe } => probe.is_none_or(|t| now >= t + self.cfg.open_for),
        }
    }

    /// Asks to call; a `Probe` must be followed by [`record`](Self::record) or
    /// [`release`](Self::release).
    pub fn allow(&mut self, now: Instant) -> Permit {
        match self.state {
            State::Closed { .. } => Permit::Call,
            State::Open { until } if now < until => Permit::Denied,
            State::Open { .. } => {
                self.state = State::HalfOpen { probe: Some(now) };
                Permit::Probe
            }
            State::HalfOpen { probe } => {
                if probe.is_some_and(|t| now < t + self.cfg.open_for) {
                    Permit::Denied
                } else {
                    self.state = State::HalfOpen { probe: Some(now) };
                    Permit::Probe
                }
            }
        }
    }

    /// Reports the outcome of an allowed call.
    pub fn record(&mut self, ok: bool, now: Instant) {
        self.state = match (self.state, ok) {
            (State::Closed { .. }, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 >= self.cfg.failures => {
                State::Open {
                    until: now + self.cfg.open_for,
                }
            }
            (State::Closed { failures }, false) => State::Closed {
                failures: failures + 1,
            },
            (State::HalfOpen { .. }, true) => State::Closed { failures: 0 },
            (State::HalfOpen { .. }, false) => State::Open {
                until: now + self.cfg.open_for,
            },
            // A late answer of a call started before the circuit opened.
            (open @ State::Open { .. }, _) => open,
        };
    }

    /// A probe ended without an outcome (cancelled): the next caller may probe.
    pub fn release(&mut self, permit: Permit) {
        if permit == Permit::Probe && matches!(self.state, State::HalfOpen { .. }) {
            self.state = State::HalfOpen { probe: None };
        }
    }

    /// Opens the circuit now (the router's failure-ratio rule).
    pub fn trip(&mut self, now: Instant) {
        if matches!(self.state, State::Closed { .. }) {
            self.state = State::Open {
                until: now + self.cfg.open_for,
            };
        }
    }

    /// `closed`, `open` or `half_open`.
    pub fn label(&self) -> &'static str {
        match self.state {
            State::Closed { .. } => "closed",
            State::Open { .. } => "open",
            State::HalfOpen { .. } => "half_open",
        }
    }
}
