//! Logging set-up: text or JSON lines on standard error, written by a
//! background thread so a request never waits on the terminal or a pipe.
//!
//! A request formats its lines (the access log's one line, mostly) and
//! appends them to a shared buffer: no system call and no wake-up of another
//! thread per line. The writer thread wakes every [`FLUSH_EVERY`], or as soon
//! as [`WAKE_AT`] bytes are waiting, and writes the whole buffer at once. At
//! 1,000 requests/s a thread woken per line (tracing-appender's worker) was a
//! thousand wake-ups and `write`s a second, ~30 µs of CPU a request
//! (docs/benchmarks.md, issue 23).

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Longest a line waits in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Waiting bytes that wake the writer before its time.
const WAKE_AT: usize = 64 * 1024;
/// Waiting bytes past which lines are dropped (standard error is stuck) and
/// counted; the count is written when the writer catches up.
const MAX_WAITING: usize = 16 * 1024 * 1024;

#[derive(Default)]
struct Waiting {
    bytes: Vec<u8>,
    dropped: u64,
    closing: bool,
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<Waiting>,
    wake: Condvar,
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Waiting> {
    s.waiting
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the subscriber writes each event to.
#[derive(Clone)]
struct BufferedStderr(Arc<Shared>);

impl Write for BufferedStderr {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut w = lock(&self.0);
        if w.bytes.len() + line.len() > MAX_WAITING {
            w.dropped += 1;
        } else {
            w.bytes.extend_from_slice(line);
            if w.bytes.len() >= WAKE_AT {
                self.0.wake.notify_one();
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferedStderr {
    type Writer = BufferedStderr;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Keep it alive until exit: dropping it writes what is waiting and stops
/// the writer thread.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        lock(&self.shared).closing = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writer thread: takes the waiting bytes every [`FLUSH_EVERY`] (or
/// sooner when woken) and writes them to standard error in one call.
fn write_loop(shared: &Shared) {
    let mut out = Vec::new();
    loop {
        let (closing, dropped) = {
            let mut w = lock(shared);
            if !w.closing && w.bytes.len() < WAKE_AT {
                w = shared
                    .wake
                    .wait_timeout(w, FLUSH_EVERY)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
            std::mem::swap(&mut out, &mut w.bytes);
            (w.closing, std::mem::take(&mut w.dropped))
        };
        if dropped > 0 {
            let _ = writeln!(
                out,
                "phoneguard: {dropped} log lines dropped: standard error did not keep up"
            );
        }
        if !out.is_empty() {
            let _ = std::io::stderr().lock().write_all(&out);
            out.clear();
        }
        if closing {
            return;
        }
    }
}

/// Installs the global subscriber (once; later calls do nothing). Keep the
/// returned guard alive until exit: dropping it flushes what is queued.
pub fn init(format: &str, level: &str) -> anyhow::Result<Option<LogGuard>> {
    let filter =
        EnvFilter::try_new(level).map_err(|e| anyhow::anyhow!("config key `log.level`: {e}"))?;
    let shared = Arc::new(Shared::default());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(BufferedStderr(shared.clone()))
        .with_ansi(std::io::stderr().is_terminal());
    let res = if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
    // Already installed (tests start several servers in one process): keep the first.
    if res.is_err() {
        return Ok(None);
    }
    let thread = std::thread::Builder::new()
        .name("phoneguard-log".into())
        .spawn({
            let shared = shared.clone();
            move || write_loop(&shared)
        })?;
    Ok(Some(LogGuard {
        shared,
        thread: Some(thread),
    }))
}
