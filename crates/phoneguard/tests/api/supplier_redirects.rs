//! Supplier calls and redirects: a vendor answering with a redirect to another
//! origin does not get the request's custom credential header and body (names,
//! ID numbers) carried there; the call fails like any supplier error.

use serde_json::json;

use crate::harness::problem;
use crate::live_keys::{live_key_with_supplier, post_with, status_endpoint, status_with};
use crate::suppliers::start_with_master_key;
use crate::vendor_fake::{fake_http, response};

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_and_carries_no_credential_or_body_there() {
    let (elsewhere, seen_elsewhere) = fake_http(|_| {
        response(
            "200 OK",
            &[],
            r#"{"result": "1", "code": "FP00000", "message": "SUCCESS"}"#,
        )
    })
    .await;
    let target = format!("{elsewhere}/collect");
    let (vendor, seen_vendor) = fake_http(move |_| {
        response(
            "307 Temporary Redirect",
            &[("location", target.as_str())],
            "{}",
        )
    })
    .await;
    let mut options = status_endpoint(&vendor);
    options["identity"] = json!({
        "method": "POST", "url": format!("{vendor}/two-factor"),
        "headers": {"X-Api-Key": "{{ credentials.api_key }}"},
        "json": {"name": "{{ name }}", "idNumber": "{{ id_number }}", "phoneNumber": "{{ phone }}"},
        "response": {"result": {"pointer": "/code", "map": {"FP00000": "match"}}}
    });
    let s = start_with_master_key().await;
    // The only real supplier: a live key has nowhere else to go.
    let live = live_key_with_supplier(
        &s,
        json!({"id": "vendor-a", "kind": "http", "capabilities": ["status", "identity"],
            "options": options, "credentials": {"api_key": "secret-api-key-4b1e"}}),
    )
    .await;
    problem(
        status_with(&s, &live, "13800138000").await,
        503,
        "supplier_unavailable",
    )
    .await;
    problem(
        post_with(
            &s,
            &live,
            "/v1/identity/match",
            json!({"phone": "13800138000", "name": "欧阳娜娜", "id_number": "11010519491231002X"}),
        )
        .await,
        503,
        "supplier_unavailable",
    )
    .await;
    let asked = seen_vendor.lock().unwrap().clone();
    assert!(
        asked
            .iter()
            .any(|r| r.contains("secret-api-key-4b1e") && r.contains("11010519491231002X")),
        "the vendor itself was asked: {asked:?}"
    );
    let leaked = seen_elsewhere.lock().unwrap().clone();
    assert!(
        leaked.is_empty(),
        "nothing reached the other host: {leaked:?}"
    );
    s.stop().await;
}
