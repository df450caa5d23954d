//! The figures of rate limits and quotas.

/// A GCRA rate: `per_s` requests a second, with a burst of `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Sustained requests per second.
    pub per_s: u32,
    /// Requests that may come at once after a quiet spell.
    pub burst: u32,
}

/// The answer of a rate check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether the request is let through (and counted).
    pub allowed: bool,
    /// Requests that could still go through right now.
    pub remaining: u32,
    /// Seconds (rounded up) until the full burst is available again.
    pub reset_s: u64,
    /// Seconds (rounded up, at least 1) to wait before retrying, when refused.
    pub retry_after_s: u64,
}

/// The answer of a quota check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaDecision {
    /// Whether the units were taken (refused: nothing was taken).
    pub allowed: bool,
    /// Units used today, after this call when allowed.
    pub used: u64,
}
