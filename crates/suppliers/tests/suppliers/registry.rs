//! Supplier management: reloads of the router racing each other, and
//! messaging directories following a change at once.

use std::sync::Arc;
use std::time::Duration;

use phoneguard_core::suppliers::{RouterConfig, SupplierConfig};
use phoneguard_core::verify::{MessagingDirectory, Outbox};
use phoneguard_suppliers::{Registry, Router};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::fakes::{MemStore, config, context};

fn routed_ids(router: &Router) -> Vec<String> {
    let mut ids: Vec<String> = router
        .routes()
        .iter()
        .map(|r| r.config.id.clone())
        .collect();
    ids.sort();
    ids
}

/// The background reload reads the table, stalls, and resumes only after an
/// admin call has added a supplier and reloaded. Before reloads were
/// serialised, the stale reader saw a table unlike the one just built and put
/// the old routes back: the new supplier went unused until the next tick.
#[tokio::test]
async fn a_reload_that_read_the_table_before_a_change_never_undoes_it() {
    let table = Arc::new(MemStore::default());
    let router = Arc::new(Router::new(RouterConfig::default(), table.clone()));
    let ctx = context(table.clone());
    let registry = Arc::new(Registry::new(table.clone(), None, ctx, router.clone()));
    registry
        .create(config("first", "sandbox", 10))
        .await
        .unwrap();
    assert_eq!(routed_ids(&router), ["first"]);

    let (read_tx, read_rx) = oneshot::channel();
    let (go_tx, go_rx) = oneshot::channel();
    *table.stall_next_list.lock().unwrap() = Some((read_tx, go_rx));
    let background = tokio::spawn({
        let registry = registry.clone();
        async move { registry.reload_if_changed().await.unwrap() }
    });
    read_rx.await.unwrap();

    let admin = tokio::spawn({
        let registry = registry.clone();
        async move { registry.create(config("second", "sandbox", 10)).await }
    });
    // The admin call has stored its row; give its own reload the chance to
    // finish (it may not while the stalled one holds the table).
    let _ = tokio::time::timeout(Duration::from_millis(300), async {
        while !admin.is_finished() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(
        table.suppliers.lock().unwrap().len(),
        2,
        "the row is stored"
    );

    go_tx.send(()).unwrap();
    background.await.unwrap();
    admin.await.unwrap().unwrap();
    assert_eq!(
        routed_ids(&router),
        ["first", "second"],
        "the supplier added during the stalled reload is routed"
    );
    assert!(
        !registry.reload_if_changed().await.unwrap(),
        "and the router is known to be built from the current table"
    );
}

fn registry(table: &Arc<MemStore>) -> Arc<Registry> {
    let router = Arc::new(Router::new(RouterConfig::default(), table.clone()));
    Arc::new(Registry::new(
        table.clone(),
        None,
        context(table.clone()),
        router,
    ))
}

/// The options of messaging supplier `id` as the directory hands them out.
async fn options_of(directory: &dyn MessagingDirectory, id: &str) -> Value {
    let routes = directory.routes().await.unwrap();
    let route = routes.iter().find(|r| r.config.id == id).unwrap();
    route.config.options.clone()
}

fn sandbox_sms(id: &str) -> SupplierConfig {
    serde_json::from_value(json!({"id": id, "kind": "sandbox", "capabilities": ["sms"]})).unwrap()
}

/// The directory keeps its suppliers for a second; a change made through the
/// registry must not wait for that.
#[tokio::test]
async fn a_messaging_supplier_change_reaches_the_directory_before_it_is_answered() {
    let table = Arc::new(MemStore::default());
    let registry = registry(&table);
    let directory = registry.messaging_directory(Arc::new(Outbox::new(8)));
    registry.create(sandbox_sms("sms-a")).await.unwrap();
    assert_eq!(options_of(directory.as_ref(), "sms-a").await, json!({}));
    let patch = serde_json::from_value(json!({"options": {"fail_rate": 1.0}})).unwrap();
    registry.update("sms-a", patch).await.unwrap();
    assert_eq!(
        options_of(directory.as_ref(), "sms-a").await,
        json!({"fail_rate": 1.0})
    );
    registry.delete("sms-a").await.unwrap();
    assert!(directory.routes().await.unwrap().is_empty());
}

/// A directory load that read the table before a change, and finishes after
/// it, is handed to its own caller but not kept for the next ones.
#[tokio::test]
async fn a_directory_load_that_read_the_table_before_a_change_is_not_kept() {
    let table = Arc::new(MemStore::default());
    let registry = registry(&table);
    let directory = registry.messaging_directory(Arc::new(Outbox::new(8)));
    registry.create(sandbox_sms("sms-a")).await.unwrap();

    let (read_tx, read_rx) = oneshot::channel();
    let (go_tx, go_rx) = oneshot::channel();
    *table.stall_next_list.lock().unwrap() = Some((read_tx, go_rx));
    let stale = tokio::spawn({
        let directory = directory.clone();
        async move { options_of(directory.as_ref(), "sms-a").await }
    });
    read_rx.await.unwrap();
    let patch = serde_json::from_value(json!({"options": {"latency_ms": 5}})).unwrap();
    registry.update("sms-a", patch).await.unwrap();
    go_tx.send(()).unwrap();
    assert_eq!(stale.await.unwrap(), json!({}), "it read before the change");
    assert_eq!(
        options_of(directory.as_ref(), "sms-a").await,
        json!({"latency_ms": 5})
    );
}
