//! The services of operations: [`UsageMeter`] counts usage per tenant ×
//! capability × UTC day in memory and adds it to the store in batches
//! (supplier costs are read from the call records; [`super::usage_report`]
//! merges both); [`redact`] replaces every secret-looking member of an audit
//! entry's before/after state by `"[redacted]"` before it is stored.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use super::model::UsageDelta;
use super::port::OpsStore;
use crate::limits::ApiCapability;
use crate::store::error::StoreResult;

type Key = (String, ApiCapability, NaiveDate);

/// Counts calls in memory and writes them to the store in batches: the request
/// path never waits on the database. Call [`UsageMeter::flush`] periodically
/// and once more at shutdown, after the last request is answered.
pub struct UsageMeter {
    store: Arc<dyn OpsStore>,
    pending: Mutex<HashMap<Key, (i64, i64)>>,
}

impl UsageMeter {
    /// A meter writing to `store`.
    pub fn new(store: Arc<dyn OpsStore>) -> Self {
        UsageMeter {
            store,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Counts `calls` calls of `cap` for a tenant on `day`, `billable` of them billable.
    pub fn count(
        &self,
        tenant_id: &str,
        cap: ApiCapability,
        day: NaiveDate,
        calls: i64,
        billable: i64,
    ) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let e = p.entry((tenant_id.to_string(), cap, day)).or_default();
        e.0 += calls;
        e.1 += billable;
    }

    /// Writes every pending count; on failure the counts are kept for the next flush.
    pub async fn flush(&self) -> StoreResult<usize> {
        let taken: HashMap<Key, (i64, i64)> = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *p)
        };
        if taken.is_empty() {
            return Ok(0);
        }
        let deltas: Vec<UsageDelta> = taken
            .iter()
            .map(|((t, c, d), (calls, billable))| UsageDelta {
                tenant_id: t.clone(),
                capability: c.as_str().to_string(),
                day: *d,
                calls: *calls,
                billable: *billable,
            })
            .collect();
        match self.store.add_usage(&deltas).await {
            Ok(()) => Ok(deltas.len()),
            Err(e) => {
                let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (k, (calls, billable)) in taken {
                    let e = p.entry(k).or_default();
                    e.0 += calls;
                    e.1 += billable;
                }
                Err(e)
            }
        }
    }
}

/// Member names whose values are never kept: credentials, keys, tokens,
/// secrets, passwords, codes.
fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if n.starts_with("has_") {
        // A flag saying whether a secret is set (`has_credentials`) is no secret.
        return false;
    }
    const PARTS: [&str; 7] = [
        "credential",
        "secret",
        "token",
        "password",
        "appcode",
        "signature",
        "api_key",
    ];
    PARTS.iter().any(|p| n.contains(p))
        || matches!(
            n.as_str(),
            "key" | "pwd" | "code" | "auth" | "authorization"
        )
}

/// `value` with the value of every secret-named member, at any depth, replaced
/// by `"[redacted]"`.
pub fn redact(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if is_secret(k) {
                        Value::String("[redacted]".into())
                    } else {
                        redact(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_at_any_depth_and_the_rest_kept() {
        let v = json!({"id": "s", "credentials": {"appcode": "abc"}, "options": {"auth_token": "t",
            "list": [{"secret_key": "x", "weight": 3}]}, "key": "pk_live_x", "hint": "pk_live_ab…", "has_credentials": true});
        let r = redact(&v);
        assert_eq!(r["credentials"], "[redacted]");
        assert_eq!(r["options"]["auth_token"], "[redacted]");
        assert_eq!(r["options"]["list"][0]["secret_key"], "[redacted]");
        assert_eq!(r["options"]["list"][0]["weight"], 3);
        assert_eq!(r["key"], "[redacted]");
        assert_eq!(r["hint"], "pk_live_ab…");
        assert_eq!(r["id"], "s");
        assert_eq!(r["has_credentials"], true);
        assert!(!r.to_string().contains("abc"));
    }
}
