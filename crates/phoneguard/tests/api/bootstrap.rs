use crate::backend::stored_bytes;
use crate::harness::{TestServer, test_config};

#[tokio::test]
async fn the_first_start_creates_a_default_tenant_and_later_starts_do_not() {
    let s = TestServer::start().await;
    assert!(s.key.starts_with("pk_test_"));
    assert_eq!(
        s.get("/v1/numbers/13800138000")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let dir = s.stop().await;
    let config = test_config(&dir.path().join("pg.db"));
    let (_, again) = phoneguard::start::prepare(&config).await.unwrap();
    assert!(again.default_key.is_none(), "no second default key");
    assert!(
        again.admin_token.is_none(),
        "a configured admin token is never generated"
    );
}

#[tokio::test]
async fn a_generated_admin_token_is_printed_once_and_kept_as_a_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pg.db");
    let mut config = test_config(&db);
    config.admin_token = None;
    let (_, first) = phoneguard::start::prepare(&config).await.unwrap();
    let token = first.admin_token.expect("generated on first start");
    assert!(token.starts_with("adm_") && token.len() > 40);
    let (state, second) = phoneguard::start::prepare(&config).await.unwrap();
    assert!(second.admin_token.is_none(), "shown once only");
    assert!(
        state.tenants.is_admin_token(&token, &state.admin_hash),
        "the printed token still works"
    );
    let stored = stored_bytes(dir.path(), &db);
    assert!(!stored.is_empty(), "something was stored");
    for (_, bytes) in &stored {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "token not stored in clear"
        );
        let key = first.default_key.as_ref().unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "key not stored in clear"
        );
    }
}
