//! [`MemoryRiskCounters`]: the velocity counters in process (one node).

use async_trait::async_trait;
use phoneguard_risk::{CounterOp, CounterValues, MemoryCounters};

use super::port::{CountersError, RiskCounters};

/// In-process counters (the embedded default; one node only).
#[derive(Default)]
pub struct MemoryRiskCounters(MemoryCounters);

#[async_trait]
impl RiskCounters for MemoryRiskCounters {
    async fn apply(&self, ops: &[CounterOp], now: u64) -> Result<CounterValues, CountersError> {
        Ok(self.0.apply(ops, now))
    }
}
