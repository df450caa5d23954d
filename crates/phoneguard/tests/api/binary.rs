//! The real `phoneguard` binary, for the tests that run it as a process: its
//! command with none of this process's `PHONEGUARD_*` variables, a free
//! loopback port, and waiting for it to answer.

use std::process::Command;
use std::time::Duration;

/// The `phoneguard` executable cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_phoneguard");

/// Removes every `PHONEGUARD_*` variable of this process from `cmd`, so that
/// the settings of whoever runs the tests (a PostgreSQL URL, say) do not leak in.
pub fn clean_env(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars() {
        if k.starts_with("PHONEGUARD_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `phoneguard` with a clean environment.
pub fn command() -> Command {
    let mut cmd = Command::new(BIN);
    clean_env(&mut cmd);
    cmd
}

/// `phoneguard serve` on `127.0.0.1:port` with the SQLite file `db`.
pub fn serve_sqlite(db: &std::path::Path, port: u16) -> Command {
    let mut cmd = command();
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--database",
    ])
    .arg(format!("sqlite://{}", db.display()));
    cmd
}

/// A loopback port nobody listens on (just now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits up to 10 s until `{base}{path}` answers 2xx.
pub async fn wait_answering(client: &reqwest::Client, base: &str, path: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{base}{path}"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server at {base} did not answer {path}");
}
