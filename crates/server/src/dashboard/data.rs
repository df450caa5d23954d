//! Time windows and the figures the pages show, computed from store rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use phoneguard_core::dashboard::{CallPoint, RiskPoint};

use crate::error::ApiError;

/// Most rows a page reads for one chart (newest first).
pub const ROW_LIMIT: i64 = 200_000;

/// A page's time window (`?window=1h|24h|7d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last hour, 12 buckets of 5 minutes.
    Hour,
    /// The last day, 24 buckets of an hour.
    Day,
    /// The last week, 28 buckets of 6 hours.
    Week,
}

impl Window {
    /// Every window, in menu order.
    pub const ALL: [Window; 3] = [Window::Hour, Window::Day, Window::Week];

    /// Parses `?window=`; absent: 24 h.
    pub fn parse(v: Option<&str>) -> Result<Window, ApiError> {
        match v {
            None | Some("24h") => Ok(Window::Day),
            Some("1h") => Ok(Window::Hour),
            Some("7d") => Ok(Window::Week),
            Some(other) => Err(ApiError::invalid_field(
                "window",
                format!("{other:?} is not one of 1h, 24h, 7d"),
            )),
        }
    }

    /// The code in links.
    pub fn code(self) -> &'static str {
        match self {
            Window::Hour => "1h",
            Window::Day => "24h",
            Window::Week => "7d",
        }
    }

    /// Length in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Window::Hour => 3600,
            Window::Day => 86_400,
            Window::Week => 7 * 86_400,
        }
    }

    fn buckets(self) -> i64 {
        match self {
            Window::Hour => 12,
            Window::Day => 24,
            Window::Week => 28,
        }
    }
}

/// The buckets of a window ending at `now`.
#[derive(Debug, Clone)]
pub struct Buckets {
    /// Start of the first bucket.
    pub since: DateTime<Utc>,
    step_s: i64,
    n: usize,
    week: bool,
}

impl Buckets {
    /// The buckets of `w` up to `now`.
    pub fn new(w: Window, now: DateTime<Utc>) -> Buckets {
        Buckets {
            since: now - Duration::seconds(w.seconds()),
            step_s: w.seconds() / w.buckets(),
            n: w.buckets() as usize,
            week: w == Window::Week,
        }
    }

    /// How many buckets.
    pub fn count(&self) -> usize {
        self.n
    }

    /// The bucket of a time, if inside the window.
    pub fn index(&self, at: DateTime<Utc>) -> Option<usize> {
        let secs = (at - self.since).num_seconds();
        (secs >= 0).then(|| ((secs / self.step_s) as usize).min(self.n - 1))
    }

    /// The labels of the buckets' ends (UTC).
    pub fn labels(&self) -> Vec<String> {
        let fmt = if self.week { "%m-%d %H:%M" } else { "%H:%M" };
        (0..self.n)
            .map(|i| {
                (self.since + Duration::seconds(self.step_s * (i as i64 + 1)))
                    .format(fmt)
                    .to_string()
            })
            .collect()
    }
}

/// The value at quantile `q` of sorted `v` (nearest rank), 0 when empty.
pub fn quantile(v: &[i64], q: f64) -> i64 {
    if v.is_empty() {
        return 0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Calls of one capability: totals and per bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CapabilityCalls {
    /// Calls per bucket.
    pub calls: Vec<f64>,
    /// Failed calls per bucket (hedged calls that lost the race are not failures).
    pub errors: Vec<f64>,
    /// p95 latency per bucket, ms.
    pub p95_ms: Vec<f64>,
    /// Calls in the window.
    pub total: i64,
    /// Failures in the window.
    pub failed: i64,
    /// p95 latency over the window, ms.
    pub p95_total_ms: f64,
}

/// Supplier calls per capability, bucketed.
pub fn calls_by_capability(points: &[CallPoint], b: &Buckets) -> BTreeMap<String, CapabilityCalls> {
    let mut lat: BTreeMap<&str, (Vec<Vec<i64>>, Vec<i64>)> = BTreeMap::new();
    let mut out: BTreeMap<String, CapabilityCalls> = BTreeMap::new();
    for p in points {
        let Some(i) = b.index(p.at) else { continue };
        let c = out
            .entry(p.capability.clone())
            .or_insert_with(|| CapabilityCalls {
                calls: vec![0.0; b.count()],
                errors: vec![0.0; b.count()],
                p95_ms: vec![0.0; b.count()],
                ..Default::default()
            });
        c.calls[i] += 1.0;
        c.total += 1;
        if p.outcome != "ok" && p.outcome != "cancelled" {
            c.errors[i] += 1.0;
            c.failed += 1;
        }
        let l = lat
            .entry(p.capability.as_str())
            .or_insert_with(|| (vec![vec![]; b.count()], vec![]));
        l.0[i].push(p.latency_us);
        l.1.push(p.latency_us);
    }
    for (cap, (mut per_bucket, mut all)) in lat {
        let c = out.get_mut(cap).expect("entry made above");
        for (i, v) in per_bucket.iter_mut().enumerate() {
            v.sort_unstable();
            c.p95_ms[i] = quantile(v, 0.95) as f64 / 1000.0;
        }
        all.sort_unstable();
        c.p95_total_ms = quantile(&all, 0.95) as f64 / 1000.0;
    }
    out
}

/// Risk results per level (0–4) and bucket.
pub fn levels_over_time(points: &[RiskPoint], b: &Buckets) -> [Vec<f64>; 5] {
    let mut out: [Vec<f64>; 5] = std::array::from_fn(|_| vec![0.0; b.count()]);
    for p in points {
        if let Some(i) = b.index(p.at) {
            out[usize::from(p.level.min(4))][i] += 1.0;
        }
    }
    out
}

/// Rule codes by how often they fired, most first, at most `n`.
pub fn top_reasons(points: &[RiskPoint], n: usize) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for r in points.iter().flat_map(|p| &p.reasons) {
        *counts.entry(r.code.as_str()).or_default() += 1;
    }
    top(counts.into_iter().map(|(k, v)| (k.to_string(), v)), n)
}

/// Devices (hashed) with the most results of level 3 or more: (hash, results, max level).
pub fn top_devices(points: &[RiskPoint], n: usize) -> Vec<(String, i64, u8)> {
    let mut counts: BTreeMap<&str, (i64, u8)> = BTreeMap::new();
    for p in points.iter().filter(|p| p.level >= 3) {
        if let Some(d) = &p.device_hash {
            let e = counts.entry(d.as_str()).or_default();
            e.0 += 1;
            e.1 = e.1.max(p.level);
        }
    }
    let mut v: Vec<(String, i64, u8)> = counts
        .into_iter()
        .map(|(k, (c, l))| (k.to_string(), c, l))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

fn top(items: impl Iterator<Item = (String, i64)>, n: usize) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = items.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// A keyed hash shortened for display: enough to tell entries apart, nothing to reverse.
pub fn mask_hash(h: &str) -> String {
    let head: String = h.chars().take(10).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use phoneguard_core::risk::RiskReason;

    fn call(at: DateTime<Utc>, cap: &str, outcome: &str, ms: i64) -> CallPoint {
        CallPoint {
            at,
            tenant_id: "ten_a".into(),
            supplier_id: "s".into(),
            capability: cap.into(),
            outcome: outcome.into(),
            latency_us: ms * 1000,
        }
    }

    #[test]
    fn calls_fall_into_their_bucket_and_failures_exclude_cancelled_hedges() {
        let now = Utc::now();
        let b = Buckets::new(Window::Hour, now);
        let pts = vec![
            call(now - Duration::minutes(1), "status", "ok", 10),
            call(now - Duration::minutes(2), "status", "timeout", 30),
            call(now - Duration::minutes(3), "status", "cancelled", 20),
            call(now - Duration::minutes(58), "identity", "ok", 5),
            call(now - Duration::minutes(90), "identity", "ok", 5),
        ];
        let m = calls_by_capability(&pts, &b);
        let s = &m["status"];
        assert_eq!((s.total, s.failed), (3, 1));
        assert_eq!(s.calls[11], 3.0);
        assert_eq!(s.p95_total_ms, 30.0);
        assert_eq!(
            m["identity"].total, 1,
            "a call before the window is left out"
        );
        assert_eq!(m["identity"].calls[0], 1.0);
        assert_eq!(b.labels().len(), 12);
    }

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.95), 95);
        assert_eq!(quantile(&v, 0.5), 50);
        assert_eq!(quantile(&[], 0.95), 0);
    }

    #[test]
    fn unknown_windows_are_refused_by_name() {
        assert_eq!(Window::parse(Some("7d")).unwrap(), Window::Week);
        assert_eq!(Window::parse(None).unwrap(), Window::Day);
        assert!(Window::parse(Some("2h")).is_err());
    }

    #[test]
    fn risky_devices_and_reasons_are_ranked() {
        let now = Utc::now();
        let reason = |c: &str| RiskReason {
            code: c.into(),
            risk_type: 2,
            detail: String::new(),
            score: 10,
        };
        let p = |level, dev: &str, codes: &[&str]| RiskPoint {
            at: now,
            level,
            reasons: codes.iter().map(|c| reason(c)).collect(),
            device_hash: Some(dev.into()),
        };
        let pts = vec![
            p(4, "dev_b", &["ip_velocity", "common_password"]),
            p(3, "dev_b", &["ip_velocity"]),
            p(3, "dev_a", &["ip_velocity"]),
            p(1, "dev_c", &[]),
        ];
        assert_eq!(top_reasons(&pts, 5)[0], ("ip_velocity".into(), 3));
        let d = top_devices(&pts, 5);
        assert_eq!(d[0], ("dev_b".into(), 2, 4));
        assert_eq!(d.len(), 2, "a low-risk device is not listed");
        assert_eq!(mask_hash("0123456789abcdef"), "0123456789…");
    }
}
