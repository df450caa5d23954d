//! Sandbox sends behave as a real messaging supplier's do (issue 19 item 9):
//! each delivered message is followed by its delivery receipt, a dropped one
//! (`drop_rate`) is not, and every send — accepted or refused — is a supplier
//! call in the statistics, the dashboard and usage.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestServer, json};
use crate::limits::default_tenant;
use crate::suppliers::admin_json;
use crate::verify_support::*;

async fn delivery(s: &TestServer, id: &str) -> Value {
    let (st, v) = json(
        s.get(&format!("/v1/verifications/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    v["attempts"][0]["delivery"].clone()
}

/// Polls until the first attempt's delivery is not `sent` (at most 5 s).
async fn receipt_of(s: &TestServer, id: &str) -> Value {
    for _ in 0..50 {
        let d = delivery(s, id).await;
        if d != "sent" {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    delivery(s, id).await
}

fn supplier_calls(stats: &Value, id: &str) -> i64 {
    stats["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["supplier_id"] == id)
        .map_or(0, |r| r["calls"].as_i64().unwrap())
}

#[tokio::test]
async fn a_sandbox_send_gets_its_delivery_receipt_and_counts_as_a_supplier_call() {
    let s = server_with_sms(vec![sandbox("sms-a", "sms", 10, json!({}))]).await;
    let (st, _) = admin_json(
        &s,
        Method::PATCH,
        "/v1/admin/suppliers/sms-a",
        Some(json!({"price_milli": 45})),
    )
    .await;
    assert_eq!(st, 200);
    let tenant = default_tenant(&s).await;
    let mut ids = vec![];
    for phone in ["13800138001", "13800138002", "13800138003"] {
        ids.push(start_sms(&s, phone).await);
    }
    for id in &ids {
        assert_eq!(receipt_of(&s, id).await, "delivered", "{id}");
    }

    let (st, stats) = admin_json(&s, Method::GET, "/v1/admin/stats?window=3600", None).await;
    assert_eq!(st, 200, "{stats}");
    assert_eq!(supplier_calls(&stats, "sms-a"), 3, "{stats}");

    let (st, u) = admin_json(
        &s,
        Method::GET,
        &format!("/v1/admin/usage?tenant={tenant}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{u}");
    // Usage bills sends under the verification they belong to.
    let verify = u["usage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["capability"] == "verify")
        .unwrap_or_else(|| panic!("no verify row in {u}"));
    assert_eq!(verify["calls"], 3, "{u}");
    assert_eq!(verify["supplier_calls"], 3, "{u}");
    assert_eq!(verify["cost_milli"], 135, "{u}");
    s.stop().await;
}

#[tokio::test]
async fn a_dropped_sandbox_message_gets_no_receipt_and_a_refused_one_is_a_failed_call() {
    let s = server_with_sms(vec![
        sandbox("sms-a", "sms", 20, json!({"fail_rate": 1.0})),
        sandbox("sms-b", "sms", 10, json!({"drop_rate": 1.0})),
    ])
    .await;
    let id = start_sms(&s, "13800138009").await;
    let (_, v) = json(
        s.get(&format!("/v1/verifications/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["attempts"][0]["supplier"], "sms-b", "{v}");
    // Time for a receipt to have come, had there been one.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(delivery(&s, &id).await, "sent");

    let (_, stats) = admin_json(&s, Method::GET, "/v1/admin/stats?window=3600", None).await;
    assert_eq!(supplier_calls(&stats, "sms-a"), 1, "{stats}");
    assert_eq!(supplier_calls(&stats, "sms-b"), 1, "{stats}");
    let a = stats["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["supplier_id"] == "sms-a")
        .unwrap();
    assert_eq!(
        (a["successes"].as_i64(), a["failures"].as_i64()),
        (Some(0), Some(1)),
        "{stats}"
    );
    s.stop().await;
}
