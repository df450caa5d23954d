//! One storage story, run on every backend: SQLite always; PostgreSQL when
//! `PHONEGUARD_TEST_POSTGRES_URL` is set (a later backend).

use chrono::{Duration, Utc};
use phoneguard_core::{ApiKey, KeyMode, Store, StoreError, Tenant};

async fn story(store: &dyn Store) {
    store.ping().await.unwrap();

    // Settings: the first value written wins, later writers read it back.
    assert_eq!(store.get_meta("k").await.unwrap(), None);
    assert_eq!(
        store.put_meta_if_absent("k", "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.put_meta_if_absent("k", "second").await.unwrap(),
        "first"
    );
    assert_eq!(store.get_meta("k").await.unwrap().as_deref(), Some("first"));

    // Tenants: unique names, ordered listing.
    let now = Utc::now();
    let a = Tenant {
        id: "ten_a".into(),
        name: "alpha".into(),
        created_at: now,
    };
    let b = Tenant {
        id: "ten_b".into(),
        name: "beta".into(),
        created_at: now + Duration::milliseconds(1),
    };
    store.create_tenant(&a).await.unwrap();
    store.create_tenant(&b).await.unwrap();
    let dup = Tenant {
        id: "ten_c".into(),
        name: "alpha".into(),
        created_at: now,
    };
    assert!(matches!(
        store.create_tenant(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.count_tenants().await.unwrap(), 2);
    let listed = store.list_tenants().await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["alpha", "beta"]
    );
    assert_eq!(
        store
            .get_tenant("ten_a")
            .await
            .unwrap()
            .unwrap()
            .created_at
            .timestamp_millis(),
        now.timestamp_millis()
    );
    assert!(store.get_tenant("ten_zzz").await.unwrap().is_none());

    // Keys: found by hash, unknown tenant refused, revocation idempotent.
    let key = ApiKey {
        id: "key_1".into(),
        tenant_id: "ten_a".into(),
        mode: KeyMode::Live,
        hash: "h1".into(),
        hint: "pk_live_abcd…".into(),
        created_at: now,
        revoked_at: None,
    };
    store.create_api_key(&key).await.unwrap();
    let orphan = ApiKey {
        id: "key_2".into(),
        tenant_id: "ten_missing".into(),
        hash: "h2".into(),
        ..key.clone()
    };
    assert!(matches!(
        store.create_api_key(&orphan).await,
        Err(StoreError::Conflict(_))
    ));
    let same_hash = ApiKey {
        id: "key_3".into(),
        ..key.clone()
    };
    assert!(matches!(
        store.create_api_key(&same_hash).await,
        Err(StoreError::Conflict(_))
    ));
    let found = store.find_api_key_by_hash("h1").await.unwrap().unwrap();
    assert_eq!(
        (found.id.as_str(), found.mode, found.revoked_at),
        ("key_1", KeyMode::Live, None)
    );
    assert!(store.find_api_key_by_hash("nope").await.unwrap().is_none());
    assert_eq!(store.list_api_keys("ten_a").await.unwrap().len(), 1);
    assert!(store.list_api_keys("ten_b").await.unwrap().is_empty());

    let first = store.revoke_api_key("key_1", now).await.unwrap().unwrap();
    let again = store
        .revoke_api_key("key_1", now + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first.revoked_at.map(|t| t.timestamp_millis()),
        Some(now.timestamp_millis())
    );
    assert_eq!(
        again.revoked_at, first.revoked_at,
        "an earlier revocation time is kept"
    );
    assert!(
        store
            .revoke_api_key("key_nope", now)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_storage_story_holds_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("story.db").display());
    let store = phoneguard_store::open(&url).await.unwrap();
    story(store.as_ref()).await;
    // Reopening runs the migrations again without harm and keeps the data.
    drop(store);
    let store = phoneguard_store::open(&url).await.unwrap();
    assert_eq!(store.count_tenants().await.unwrap(), 2);
}

#[tokio::test]
async fn the_storage_story_holds_on_postgres_when_configured() {
    let Ok(url) = std::env::var("PHONEGUARD_TEST_POSTGRES_URL") else {
        eprintln!("PHONEGUARD_TEST_POSTGRES_URL unset: PostgreSQL story skipped");
        return;
    };
    match phoneguard_store::open(&url).await {
        Ok(store) => story(store.as_ref()).await,
        Err(e) => panic!("PostgreSQL configured but not usable: {e}"),
    }
}

#[tokio::test]
async fn an_unknown_scheme_is_refused_with_the_key_named() {
    let err = phoneguard_store::open("mysql://u:secret@h/db")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("database_url") && !err.contains("secret"),
        "{err}"
    );
}
