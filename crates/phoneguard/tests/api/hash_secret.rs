//! The hash secret lives outside the database (issue 18 item 3): a key file
//! beside a SQLite database, mode 0600, and the database file itself 0600.

use std::os::unix::fs::PermissionsExt;

use phoneguard::config::Config;
use phoneguard::hash_secret::META_HASH_SECRET;

use crate::harness::{TestServer, test_config};

/// A config on the SQLite file `dir/pg.db`, whatever backend the suite runs on.
fn sqlite_config(dir: &tempfile::TempDir) -> (Config, std::path::PathBuf) {
    let db = dir.path().join("pg.db");
    let mut c = test_config(&db);
    c.database_url = format!("sqlite://{}", db.display()).into();
    c.redis_url = None;
    // The PostgreSQL suite's configs carry a secret; these tests are about the key file.
    c.hash_secret = None;
    (c, db)
}

/// The status of a lookup with the server's key.
async fn lookup_status(s: &TestServer) -> u16 {
    s.get("/v1/numbers/13800138000")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_secret_is_kept_in_a_private_key_file_and_the_database_is_private_too() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = sqlite_config(&dir);
    let url = format!("sqlite://{}", db.display());
    let s = TestServer::start_with(config.clone(), dir).await;
    let key = s.key.clone();
    assert_eq!(lookup_status(&s).await, 200);
    let dir = s.stop().await;
    let key_file = dir.path().join("pg.db.key");
    assert_eq!(mode(&db), 0o600, "the database file is the owner's only");
    assert_eq!(mode(&key_file), 0o600, "so is the key file");
    let secret = std::fs::read_to_string(&key_file).unwrap();
    assert!(secret.trim().len() >= 32);
    let store = phoneguard_store::open(&url).await.unwrap();
    assert_eq!(store.get_meta(META_HASH_SECRET).await.unwrap(), None);
    drop(store);

    // A restart reads the file: the key made under the first start still works.
    let (state, boot) = phoneguard::start::prepare(&config).await.unwrap();
    assert!(boot.default_key.is_none());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let s = TestServer::from_parts(listener, config, state, key, dir).await;
    assert_eq!(lookup_status(&s).await, 200);
    s.stop().await;
}

#[tokio::test]
async fn a_secret_an_earlier_version_kept_in_the_database_moves_into_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let (config, db) = sqlite_config(&dir);
    let url = format!("sqlite://{}", db.display());
    let legacy = "legacy_secret_0123456789abcdefghijklmnopqrstuv";
    let store = phoneguard_store::open(&url).await.unwrap();
    store.put_meta(META_HASH_SECRET, legacy).await.unwrap();
    drop(store);

    let (state, _) = phoneguard::start::prepare(&config).await.unwrap();
    drop(state);
    let in_file = std::fs::read_to_string(dir.path().join("pg.db.key")).unwrap();
    assert_eq!(
        in_file.trim(),
        legacy,
        "the same secret: every stored hash stays valid"
    );
    let store = phoneguard_store::open(&url).await.unwrap();
    assert_eq!(
        store.get_meta(META_HASH_SECRET).await.unwrap(),
        None,
        "and it is gone from the database"
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run eval $(scripts/ci-services.sh), then cargo test --workspace -- --include-ignored"]
async fn with_postgresql_the_secret_must_be_configured_and_an_old_one_moves_out_of_the_database() {
    let server = crate::backend::test_env("PHONEGUARD_TEST_POSTGRES_URL");
    let name = format!("pgapi_{}_hash_secret", std::process::id());
    let url = crate::backend::ensure_database(&server, &name);
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir.path().join("pg.db"));
    config.database_url = url.clone().into();
    config.redis_url = None;
    config.hash_secret = None;

    // Neither hash_secret nor hash_secret_file: no start, and no secret
    // generated into the database.
    let err = format!(
        "{:#}",
        phoneguard::start::prepare(&config).await.err().unwrap()
    );
    assert!(
        err.contains("`hash_secret`") && err.contains("PostgreSQL"),
        "{err}"
    );
    let store = phoneguard_store::open(&url).await.unwrap();
    assert_eq!(store.get_meta(META_HASH_SECRET).await.unwrap(), None);

    // A database of an earlier version, with the secret inside: the start
    // says how to move it out, and hash_secret_file moves it.
    let legacy = "legacy_pg_secret_0123456789abcdefghijklmnopq";
    store.put_meta(META_HASH_SECRET, legacy).await.unwrap();
    let err = format!(
        "{:#}",
        phoneguard::start::prepare(&config).await.err().unwrap()
    );
    assert!(err.contains("hash_secret_file"), "{err}");
    let file = dir.path().join("hash.key");
    config.hash_secret_file = Some(file.display().to_string());
    let (state, _) = phoneguard::start::prepare(&config).await.unwrap();
    drop(state);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), legacy);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(store.get_meta(META_HASH_SECRET).await.unwrap(), None);
    drop(store);
    crate::backend::drop_database(&server, &name);
}
