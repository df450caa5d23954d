//! Where the hash secret (the HMAC key of API keys, tokens, OTP codes and
//! name/ID hashes) comes from. It must never sit in the database beside the
//! hashes: whoever reads the file could then recompute every 6-digit code.
//!
//! 1. `hash_secret` from the config (or `PHONEGUARD_HASH_SECRET`): used as is.
//! 2. Otherwise a key file, `hash_secret_file` or, for SQLite, the database
//!    file's name with `.key` appended: read if it exists, else created with
//!    mode 0600 and a new random secret. A secret an earlier version kept in
//!    the database (`meta`) is moved into the file and deleted from the
//!    database, so every stored hash stays valid.
//! 3. PostgreSQL with neither: the server does not start. Several nodes share
//!    the database and must share the secret, so it is configured on each
//!    (`hash_secret`, or the same `hash_secret_file` copied to each). A secret
//!    an earlier version generated into the database is not used from there:
//!    the message says to set `hash_secret_file`, and the next start moves it
//!    into that file (step 2) for the operator to copy to the other nodes.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use phoneguard_core::Store;
use phoneguard_core::secrets::random_base62;
use secrecy::ExposeSecret;

use crate::config::Config;

/// `meta` key of a hash secret an earlier version kept in the database.
pub const META_HASH_SECRET: &str = "hash_secret";

/// The key file of `config`: `hash_secret_file`, or the SQLite file + `.key`.
pub fn key_file(config: &Config) -> Option<PathBuf> {
    if let Some(f) = &config.hash_secret_file {
        return Some(PathBuf::from(f));
    }
    let db = phoneguard_store::sqlite_file(config.database_url.expose_secret())?;
    let mut name = db.into_os_string();
    name.push(".key");
    Some(PathBuf::from(name))
}

/// The hash secret of this start (see the module docs).
pub async fn settle(config: &Config, store: &dyn Store) -> anyhow::Result<String> {
    if let Some(s) = &config.hash_secret {
        return Ok(s.expose_secret().to_string());
    }
    let Some(path) = key_file(config) else {
        if phoneguard_store::is_sqlite(config.database_url.expose_secret()) {
            // An in-memory database: its hashes die with the process.
            return Ok(random_base62(48));
        }
        if store.get_meta(META_HASH_SECRET).await?.is_some() {
            anyhow::bail!(
                "config key `hash_secret_file`: this PostgreSQL database holds the hash secret an \
                 earlier version generated into it, and the secret must not live beside the \
                 hashes; set hash_secret_file (PHONEGUARD_HASH_SECRET_FILE) to a path on this \
                 node and start once: the secret is moved into that file (mode 0600); then copy \
                 the file to every other node"
            );
        }
        anyhow::bail!(
            "config key `hash_secret`: with PostgreSQL, set hash_secret (PHONEGUARD_HASH_SECRET, \
             at least 32 characters, e.g. `openssl rand -base64 36`) or hash_secret_file, the \
             same on every node; it is the key of every stored hash and is never kept in the \
             database"
        );
    };
    let legacy = store.get_meta(META_HASH_SECRET).await?;
    let secret = match read(&path)? {
        Some(s) => s,
        None => create(&path, legacy.as_deref().unwrap_or(&random_base62(48)))?,
    };
    if legacy.is_some() {
        if legacy.as_deref() != Some(secret.as_str()) {
            anyhow::bail!(
                "the database holds a hash secret that differs from the one in {}: keep the \
                 key file that belongs to this database",
                path.display()
            );
        }
        store.delete_meta(META_HASH_SECRET).await?;
        tracing::info!(file = %path.display(), "hash secret moved out of the database into its key file");
    }
    Ok(secret)
}

/// The secret in `path`, `None` when there is no such file.
fn read(path: &Path) -> anyhow::Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the hash secret file {}", path.display()));
        }
    };
    let secret = text.trim().to_string();
    if secret.len() < 32 {
        anyhow::bail!(
            "the hash secret file {} holds {} characters; expected at least 32",
            path.display(),
            secret.len()
        );
    }
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(file = %path.display(), mode = format!("{:o}", mode & 0o777), "the hash secret file is readable by others than its owner; chmod 600 it");
    }
    Ok(Some(secret))
}

/// Writes `secret` to a new file `path`, mode 0600; returns it.
fn create(path: &Path, secret: &str) -> anyhow::Result<String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the hash secret file {}", path.display()))?;
    writeln!(f, "{secret}")?;
    f.sync_all()?;
    Ok(secret.to_string())
}
