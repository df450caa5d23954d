//! Rate limits, daily quotas and usage metering at the HTTP edge.
//!
//! A handler of a metered capability calls [`admit`] once it knows the call is
//! valid (one line); [`meter`], a layer around every route, then writes the
//! `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` headers
//! (IETF draft names) of the most constraining limit and counts the call in
//! the usage meter (billable when answered 2xx). The two meet in a per-request
//! slot held in a task-local, so handlers need no extra extractor.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use phoneguard_core::limits::{ApiCapability, RefusalKind, Window};
use phoneguard_core::tenants::Principal;

use crate::error::{ApiError, ProblemCode, ProblemLimit};
use crate::state::AppState;

tokio::task_local! {
    static SLOT: Arc<Slot>;
}

/// What one request was metered as.
struct Metered {
    tenant_id: String,
    capability: ApiCapability,
    day: NaiveDate,
    units: u64,
}

/// Per-request state shared by [`admit`] (and the audit log) with [`meter`].
#[derive(Default)]
struct Slot {
    request_id: Option<String>,
    data: Mutex<(Option<Metered>, Option<Window>)>,
}

fn with_slot(f: impl FnOnce(&mut (Option<Metered>, Option<Window>))) {
    let _ = SLOT.try_with(|slot| {
        let mut d = slot.data.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut d);
    });
}

/// The `x-request-id` of the request being handled, if any.
pub fn request_id() -> Option<String> {
    SLOT.try_with(|slot| slot.request_id.clone()).ok().flatten()
}

/// Layer: gives the request its slot, then writes the `RateLimit-*` headers
/// and counts the call (see the module docs).
pub async fn meter(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let slot = Arc::new(Slot {
        request_id: req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        data: Mutex::default(),
    });
    let mut resp = SLOT.scope(slot.clone(), next.run(req)).await;
    let (metered, window) = {
        let mut d = slot.data.lock().unwrap_or_else(|e| e.into_inner());
        (d.0.take(), d.1.take())
    };
    if let Some(w) = window {
        let h = resp.headers_mut();
        h.insert("ratelimit-limit", HeaderValue::from(w.limit));
        h.insert("ratelimit-remaining", HeaderValue::from(w.remaining));
        h.insert("ratelimit-reset", HeaderValue::from(w.reset_s));
    }
    if let Some(m) = metered {
        let units = i64::try_from(m.units).unwrap_or(i64::MAX);
        let billable = if resp.status().is_success() { units } else { 0 };
        s.usage
            .count(&m.tenant_id, m.capability, m.day, units, billable);
    }
    resp
}

/// The capability of a number lookup: `status` when it asks suppliers
/// (status, tenure, portability), else `lookup`.
pub fn numbers_capability(fields: &[crate::routes::supply::Field]) -> ApiCapability {
    if fields
        .iter()
        .any(|f| *f != crate::routes::supply::Field::Location)
    {
        ApiCapability::Status
    } else {
        ApiCapability::Lookup
    }
}

/// Admits a call of `cap` worth `units` quota units (numbers of a batch; 1
/// otherwise) for `who`, or answers 429 `rate_limited` / `quota_exceeded`
/// with `Retry-After`. Admitted calls are counted as usage.
pub async fn admit(
    s: &AppState,
    who: &Principal,
    cap: ApiCapability,
    units: u64,
) -> Result<(), ApiError> {
    let now = Utc::now();
    match s.limits.admit(who, cap, units, now).await {
        Ok(a) => {
            with_slot(|d| {
                d.0 = Some(Metered {
                    tenant_id: who.tenant_id.clone(),
                    capability: cap,
                    day: now.date_naive(),
                    units,
                });
                d.1 = a.window;
            });
            Ok(())
        }
        Err(r) => {
            with_slot(|d| d.1 = Some(r.window));
            let (code, what, kind) = match r.kind {
                RefusalKind::Rate => (ProblemCode::RateLimited, "rate limit", "rate"),
                RefusalKind::Quota => (ProblemCode::QuotaExceeded, "daily quota", "quota"),
            };
            crate::telemetry::rate_limited(cap.as_str(), kind);
            let detail = match r.kind {
                RefusalKind::Rate => format!(
                    "the {} {what} of {} requests per second for {} is reached; retry in {} s",
                    r.scope,
                    r.window.limit,
                    cap.as_str(),
                    r.retry_after_s
                ),
                RefusalKind::Quota => format!(
                    "the {} {what} of {} {} calls is used up; it starts over at 00:00 UTC",
                    r.scope,
                    r.window.limit,
                    cap.as_str()
                ),
            };
            let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, detail).with(|x| {
                x.capability = Some(cap.as_str().into());
                x.scope = Some(r.scope.into());
                x.limit = Some(ProblemLimit::Count(r.window.limit));
            });
            e.retry_after = Some(r.retry_after_s);
            Err(e)
        }
    }
}
