//! The operations part of the storage story: limit settings, daily usage
//! counters, supplier costs by day, the audit log.

use chrono::{NaiveDate, TimeZone, Utc};
use phoneguard_core::limits::{ApiCapability, LimitSettings};
use phoneguard_core::ops::{AuditEntry, UsageDelta};
use phoneguard_core::suppliers::{CallRecord, Capability};
use phoneguard_core::{ApiKey, KeyMode, Store};
use serde_json::json;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

/// Runs after the core story (tenant `ten_a` exists).
pub async fn ops_story(store: &dyn Store) {
    // Keys by id.
    let key = ApiKey {
        id: "key_ops".into(),
        tenant_id: "ten_a".into(),
        mode: KeyMode::Live,
        hash: "ops-hash".into(),
        hint: "pk_live_ops…".into(),
        created_at: Utc.timestamp_millis_opt(1_700_000_000_000).unwrap(),
        revoked_at: None,
    };
    store.create_api_key(&key).await.unwrap();
    assert_eq!(store.get_api_key("key_ops").await.unwrap(), Some(key));
    assert_eq!(store.get_api_key("key_none").await.unwrap(), None);

    // Limit settings: absent, stored, replaced.
    assert_eq!(store.get_limits("ten_a").await.unwrap(), None);
    let mut s = LimitSettings::default();
    s.rate_per_s.insert(ApiCapability::Lookup, Some(50));
    s.daily_quota.insert(ApiCapability::Identity, None);
    store.put_limits("ten_a", &s, Utc::now()).await.unwrap();
    assert_eq!(store.get_limits("ten_a").await.unwrap(), Some(s.clone()));
    s.rate_per_s.insert(ApiCapability::Lookup, Some(5));
    store.put_limits("ten_a", &s, Utc::now()).await.unwrap();
    assert_eq!(store.get_limits("ten_a").await.unwrap(), Some(s));

    // Usage: deltas add up per tenant × day × capability.
    let delta = |t: &str, d: u32, cap: &str, calls, billable| UsageDelta {
        tenant_id: t.into(),
        capability: cap.into(),
        day: day(d),
        calls,
        billable,
    };
    store
        .add_usage(&[
            delta("ten_ops", 1, "lookup", 3, 3),
            delta("ten_ops", 2, "status", 2, 1),
            delta("ten_other", 1, "risk", 7, 7),
        ])
        .await
        .unwrap();
    store
        .add_usage(&[delta("ten_ops", 1, "lookup", 2, 1)])
        .await
        .unwrap();
    assert_eq!(
        store.usage(Some("ten_ops"), day(1), day(2)).await.unwrap(),
        [
            delta("ten_ops", 1, "lookup", 5, 4),
            delta("ten_ops", 2, "status", 2, 1)
        ]
    );
    assert_eq!(
        store.usage(None, day(1), day(1)).await.unwrap(),
        [
            delta("ten_ops", 1, "lookup", 5, 4),
            delta("ten_other", 1, "risk", 7, 7)
        ]
    );
    assert!(store.usage(None, day(3), day(9)).await.unwrap().is_empty());

    // Supplier costs: successful calls by UTC day, failures cost nothing.
    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
    let rec = |d, h, cap, outcome: &str, price| CallRecord {
        at: at(d, h),
        tenant_id: "ten_ops".into(),
        supplier_id: "sup_ops".into(),
        capability: cap,
        outcome: outcome.into(),
        latency_us: 100,
        price_milli: price,
    };
    store
        .insert_call_records(&[
            rec(1, 0, Capability::Status, "ok", 30),
            rec(1, 23, Capability::Status, "ok", 30),
            rec(1, 12, Capability::Status, "timeout", 0),
            rec(2, 0, Capability::Identity, "ok", 50),
            rec(4, 0, Capability::Identity, "ok", 50),
        ])
        .await
        .unwrap();
    let costs: Vec<_> = store
        .supplier_costs(Some("ten_ops"), day(1), day(2))
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.day, c.capability, c.calls, c.cost_milli))
        .collect();
    assert_eq!(
        costs,
        [
            (day(1), "status".to_string(), 2, 60),
            (day(2), "identity".to_string(), 1, 50)
        ]
    );

    // Audit: ids increase, newest first, paging by id.
    for (i, action) in ["tenant.create", "supplier.update", "key.revoke"]
        .into_iter()
        .enumerate()
    {
        store
            .insert_audit(&AuditEntry {
                id: 0,
                at: Utc
                    .timestamp_millis_opt(1_700_000_000_000 + i as i64)
                    .unwrap(),
                actor: "admin".into(),
                action: action.into(),
                target: format!("t{i}"),
                before: (i > 0).then(|| json!({"weight": i})),
                after: (i < 2).then(|| json!({"weight": i + 1})),
                request_id: Some(format!("req-{i}")),
            })
            .await
            .unwrap();
    }
    let all = store.list_audit(10, None).await.unwrap();
    let actions: Vec<_> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["key.revoke", "supplier.update", "tenant.create"]);
    assert!(all[0].id > all[1].id && all[1].id > all[2].id);
    assert_eq!(all[1].before, Some(json!({"weight": 1})));
    assert_eq!(all[1].after, Some(json!({"weight": 2})));
    assert_eq!(all[0].after, None);
    assert_eq!(all[2].request_id.as_deref(), Some("req-0"));
    assert_eq!(all[2].at.timestamp_millis(), 1_700_000_000_000);
    let page = store.list_audit(1, Some(all[0].id)).await.unwrap();
    assert_eq!(page, all[1..2]);
}
