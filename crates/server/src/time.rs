//! Timestamps on the wire: RFC 3339 in UTC with exactly three decimals
//! (`2026-12-06T23:40:32.120Z`), whether the value was just made (nanosecond
//! precision in memory) or read back from the database (milliseconds), so a
//! POST and the GET after it print the same instant the same way.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// A timestamp as text with millisecond precision.
pub fn ms_text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Serializes a timestamp with millisecond precision (`serialize_with`).
pub fn ms<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ms_text(t))
}

/// [`ms`] of an optional timestamp (`null` when absent).
pub fn opt_ms<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ms(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn instants_print_with_three_decimals_whatever_their_precision() {
        #[derive(serde::Serialize)]
        struct T {
            #[serde(serialize_with = "super::ms")]
            a: chrono::DateTime<chrono::Utc>,
            #[serde(serialize_with = "super::opt_ms")]
            b: Option<chrono::DateTime<chrono::Utc>>,
        }
        let nanos = chrono::Utc.timestamp_nanos(1_765_064_432_123_456_789);
        let whole = chrono::Utc.timestamp_opt(1_765_064_432, 0).unwrap();
        let v = serde_json::to_value(T {
            a: nanos,
            b: Some(whole),
        })
        .unwrap();
        assert_eq!(v["a"], "2025-12-06T23:40:32.123Z");
        assert_eq!(v["b"], "2025-12-06T23:40:32.000Z");
        let v = serde_json::to_value(T { a: whole, b: None }).unwrap();
        assert!(v["b"].is_null());
    }
}
