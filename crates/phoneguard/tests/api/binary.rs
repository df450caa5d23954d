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

/// First and one-past-last port [`free_port`] hands out: below Linux's
/// ephemeral range (32768–60999), from which every `bind(…:0)` of the tests
/// running alongside draws. A port found free here and bound by a child a
/// moment later cannot be taken in between by another test's port-0 bind.
const PORTS: std::ops::Range<u32> = 20_000..32_000;

/// A loopback port nobody listens on (just now), never the same twice in one
/// test process, and outside the ephemeral range (see [`PORTS`]).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let span = PORTS.end - PORTS.start;
    // Offset by the process id, so two test processes on one machine (two CI
    // jobs) start their walks at different ports.
    let start = std::process::id() % span;
    for _ in 0..span {
        let step = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (PORTS.start + (start + step) % span) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {PORTS:?}");
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
