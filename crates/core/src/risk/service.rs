//! Risk service: registration and login protection, results by token, device risk.
//!
//! The pure engine (`phoneguard-risk`) computes features and runs the rules; this
//! service does the I/O around it: velocity counters through [`RiskCounters`],
//! phone facts from the number table, results kept through [`RiskStore`].

use std::sync::{Arc, RwLock};

use chrono::{Duration, Utc};
use phoneguard_numbering::NumberTable;
use phoneguard_risk::{Assessment, CounterOp, CounterValues, Engine, RiskEvent, RulesError};

use super::filing;
use super::model::{DeviceSummary, LineCheck, RiskReason, RiskRecord, phone_facts};
use super::port::{CountersError, RiskCounters, RiskStore};
use super::settings::{RulesLoadError, load_rules, read_rules};
use crate::secrets::{HashKey, random_base62};
use crate::store::error::{StoreError, StoreResult};

/// The risk service.
pub struct RiskService {
    engine: RwLock<(Arc<Engine>, Arc<str>)>,
    rules_file: Option<std::path::PathBuf>,
    counters: Arc<dyn RiskCounters>,
    store: Arc<dyn RiskStore>,
    numbers: &'static NumberTable,
    hash_key: HashKey,
    retention: Duration,
    line_status_timeout: Option<std::time::Duration>,
}

impl RiskService {
    /// Builds the service: rules from `rules_file` when given (else the shipped
    /// defaults), compiled now so a bad file stops the start.
    pub fn new(
        rules_file: Option<std::path::PathBuf>,
        counters: Arc<dyn RiskCounters>,
        store: Arc<dyn RiskStore>,
        numbers: &'static NumberTable,
        hash_key: HashKey,
        retention: Duration,
    ) -> Result<Self, RulesLoadError> {
        let (engine, source) = load_rules(rules_file.as_deref())?;
        Ok(RiskService {
            engine: RwLock::new((Arc::new(engine), source.into())),
            rules_file,
            counters,
            store,
            numbers,
            hash_key,
            retention,
            line_status_timeout: None,
        })
    }

    /// Turns the line-status check of `pn` on (`Some`: wait at most that long
    /// for it) or off (`None`, the default).
    pub fn with_line_status(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.line_status_timeout = timeout;
        self
    }

    /// How long to wait for a line status of `pn`; `None` when it is not asked.
    pub fn line_status_timeout(&self) -> Option<std::time::Duration> {
        self.line_status_timeout
    }

    /// The engine in force.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// The TOML source of the rules in force.
    pub fn rules_source(&self) -> Arc<str> {
        self.engine
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    /// Compiles `toml` and, if every rule compiles, puts it in force; otherwise the
    /// old rules stay and the error names the rule. Returns the number of rules.
    pub fn reload(&self, toml: &str) -> Result<usize, RulesError> {
        let engine = Engine::from_toml(toml)?;
        let n = engine.rules().rules.len();
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = (Arc::new(engine), toml.into());
        tracing::info!(rules = n, "risk rules reloaded");
        Ok(n)
    }

    /// Reloads the rules file named in the config (SIGHUP, admin endpoint).
    pub fn reload_file(&self) -> Result<usize, RulesLoadError> {
        let path = self.rules_file.as_ref().ok_or(RulesLoadError::NoFile)?;
        let source = read_rules(path)?;
        self.reload(&source).map_err(RulesLoadError::Rules)
    }

    /// Keyed hash under which a device's results are filed.
    pub fn device_hash(&self, tenant_id: &str, device_id: &str) -> String {
        filing::device_hash(&self.hash_key, tenant_id, device_id)
    }

    /// Assesses a validated event for a tenant and keeps the result.
    pub async fn assess(
        &self,
        tenant_id: &str,
        event: &RiskEvent,
        line: LineCheck,
    ) -> Result<(RiskRecord, Assessment), RiskError> {
        let now = Utc::now();
        let secs = now.timestamp().max(0) as u64;
        // Counter keys are per tenant (`{tenant_id}:{key}`): one tenant's
        // traffic never raises another's velocity.
        let ops: Vec<CounterOp> = phoneguard_risk::counter_ops_in(tenant_id, event);
        // Counters down (Redis): degrade rather than fail — the event is still
        // assessed on everything but velocity, and the result says so.
        let (values, degraded) = match self.counters.apply(&ops, secs).await {
            Ok(v) => (v, false),
            Err(e) => {
                tracing::warn!(error = %e, "risk counters unavailable; assessing without velocity");
                metrics::counter!("phoneguard_risk_counters_unavailable_total").increment(1);
                (CounterValues::default(), true)
            }
        };
        let mut phone = phone_facts(self.numbers, event.pn.as_deref());
        if let LineCheck::Status(code) = &line {
            phone.line_status = Some(code.clone());
        }
        let assessment = self.engine().assess(event, &phone, &values, secs);
        let record = RiskRecord {
            token: format!("rk_{}", random_base62(32)),
            tenant_id: tenant_id.to_string(),
            kind: event.kind.as_str().to_string(),
            level: assessment.level,
            decision: assessment.decision.as_str().to_string(),
            risk_types: assessment.risk_types.clone(),
            reasons: assessment
                .reasons
                .iter()
                .map(|r| RiskReason {
                    code: r.code.clone(),
                    risk_type: r.risk_type,
                    detail: r.detail.clone(),
                    score: r.score,
                })
                .chain(degraded.then(|| {
                    RiskReason {
                        code: "velocity_unavailable".into(),
                        risk_type: 2,
                        detail:
                            "velocity counters were unreachable; velocity rules were not evaluated"
                                .into(),
                        score: 0,
                    }
                }))
                .chain((line == LineCheck::Unavailable).then(|| RiskReason {
                    code: "line_status_unavailable".into(),
                    risk_type: 1,
                    detail: "no status supplier answered in time; line-status rules were not evaluated"
                        .into(),
                    score: 0,
                }))
                .collect(),
            score: assessment.score,
            device_hash: filing::device_of(event).map(|d| self.device_hash(tenant_id, &d)),
            account_hash: filing::account_hash(&self.hash_key, tenant_id, &event.account),
            ip_hash: filing::ip_hash(&self.hash_key, tenant_id, event.ip.as_deref()),
            created_at: now,
            expires_at: now + self.retention,
        };
        self.store.insert_risk_result(&record).await?;
        // Static labels, no allocation (levels above 4 count as 4, as their
        // decision does).
        const LEVELS: [&str; 5] = ["0", "1", "2", "3", "4"];
        let level = LEVELS
            .get(usize::from(record.level))
            .copied()
            .unwrap_or("4");
        metrics::counter!("phoneguard_risk_decisions_total", "kind" => event.kind.as_str(), "level" => level)
            .increment(1);
        Ok((record, assessment))
    }

    /// A tenant's result by token.
    pub async fn result(&self, tenant_id: &str, token: &str) -> StoreResult<Option<RiskRecord>> {
        if !token.starts_with("rk_") || token.len() > 64 {
            return Ok(None);
        }
        self.store
            .get_risk_result(tenant_id, token, Utc::now())
            .await
    }

    /// A tenant's device summary. `device_id` is looked up as written and in
    /// the normal form the events are filed under (see [`filing::device_of`]).
    pub async fn device(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<DeviceSummary>> {
        for key in filing::device_keys(device_id) {
            let found = self
                .store
                .device_summary(tenant_id, &self.device_hash(tenant_id, &key), Utc::now())
                .await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// Deletes expired results.
    pub async fn purge(&self) -> StoreResult<u64> {
        self.store.purge_risk_results(Utc::now()).await
    }
}

/// Why an assessment failed.
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    /// Counters down.
    #[error(transparent)]
    Counters(CountersError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::DateTime;

    use super::*;
    use crate::risk::filing::tests::device_event;
    use crate::risk::memory::MemoryRiskCounters;

    struct DownCounters;

    #[async_trait]
    impl RiskCounters for DownCounters {
        async fn apply(&self, _: &[CounterOp], _: u64) -> Result<CounterValues, CountersError> {
            Err(CountersError("connection refused".into()))
        }
    }

    #[derive(Default)]
    struct Kept(Mutex<Vec<RiskRecord>>);

    #[async_trait]
    impl RiskStore for Kept {
        async fn insert_risk_result(&self, r: &RiskRecord) -> StoreResult<()> {
            self.0.lock().unwrap().push(r.clone());
            Ok(())
        }
        async fn get_risk_result(
            &self,
            _: &str,
            token: &str,
            _: DateTime<Utc>,
        ) -> StoreResult<Option<RiskRecord>> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .iter()
                .find(|r| r.token == token)
                .cloned())
        }
        async fn device_summary(
            &self,
            _: &str,
            _: &str,
            _: DateTime<Utc>,
        ) -> StoreResult<Option<DeviceSummary>> {
            Ok(None)
        }
        async fn purge_risk_results(&self, _: DateTime<Utc>) -> StoreResult<u64> {
            Ok(0)
        }
    }

    fn service(counters: Arc<dyn RiskCounters>, store: Arc<Kept>) -> RiskService {
        RiskService::new(
            None,
            counters,
            store,
            NumberTable::embedded(),
            HashKey::new(vec![7u8; 32]),
            Duration::days(30),
        )
        .unwrap()
    }

    fn event(account: &str) -> RiskEvent {
        serde_json::from_str(&format!(
            r#"{{"account": "{account}", "pwd": "E10ADC3949BA59ABBE56E057F20F883E", "ip": "58.30.1.7", "device_id": "d-1"}}"#
        ))
        .unwrap()
    }

    #[tokio::test]
    async fn with_counters_down_an_event_is_still_assessed_and_says_so() {
        let store = Arc::new(Kept::default());
        let svc = service(Arc::new(DownCounters), store.clone());
        let (record, _) = svc
            .assess("ten_a", &event("u1"), LineCheck::NotAsked)
            .await
            .unwrap();
        let codes: Vec<&str> = record.reasons.iter().map(|r| r.code.as_str()).collect();
        assert!(codes.contains(&"velocity_unavailable"), "{codes:?}");
        assert!(
            codes.contains(&"common_password"),
            "other rules still run: {codes:?}"
        );
        assert_eq!(store.0.lock().unwrap().len(), 1, "the result is kept");
    }

    #[tokio::test]
    async fn results_keep_hashes_never_the_account_or_device() {
        let store = Arc::new(Kept::default());
        let svc = service(Arc::new(MemoryRiskCounters::default()), store.clone());
        let (record, _) = svc
            .assess("ten_a", &event("alice@example.com"), LineCheck::NotAsked)
            .await
            .unwrap();
        let kept =
            serde_json::to_string(&store.0.lock().unwrap()[0]).unwrap() + &record.account_hash;
        assert!(!kept.contains("alice"), "{kept}");
        assert_ne!(record.device_hash.as_deref(), Some("d-1"));
        assert_eq!(record.device_hash, Some(svc.device_hash("ten_a", "d-1")));
        assert_ne!(
            svc.device_hash("ten_a", "d-1"),
            svc.device_hash("ten_b", "d-1"),
            "per tenant"
        );
    }

    #[tokio::test]
    async fn strangers_with_the_null_mac_are_not_filed_under_one_device() {
        let store = Arc::new(Kept::default());
        let svc = service(Arc::new(MemoryRiskCounters::default()), store.clone());
        for account in ["stranger-1", "stranger-2"] {
            let e = device_event(account, None, None, Some("02:00:00:00:00:00"));
            let (record, _) = svc.assess("ten_a", &e, LineCheck::NotAsked).await.unwrap();
            assert_eq!(record.device_hash, None, "{account}");
        }
        assert!(filing::device_keys("02:00:00:00:00:00").is_empty());
        assert!(filing::device_keys("00000000-0000-0000-0000-000000000000").is_empty());
    }
}
