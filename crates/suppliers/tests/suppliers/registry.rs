//! Supplier management: reloads of the router racing each other.

use std::sync::Arc;
use std::time::Duration;

use phoneguard_core::suppliers::RouterConfig;
use phoneguard_suppliers::{Registry, Router};
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
