//! The audit log of admin changes: who, what, when, before and after — with
//! every secret-looking member replaced by `"[redacted]"` before it is stored.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One admin change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Assigned by the store, increasing.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `admin` (the admin token).
    pub actor: String,
    /// What, e.g. `supplier.update`, `tenant.create`, `key.revoke`.
    pub action: String,
    /// The id of what changed (`sms-a`, `ten_…`, `key_…`).
    pub target: String,
    /// The state before, redacted (`None`: created).
    pub before: Option<Value>,
    /// The state after, redacted (`None`: deleted).
    pub after: Option<Value>,
    /// `x-request-id` of the request that made the change.
    pub request_id: Option<String>,
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
