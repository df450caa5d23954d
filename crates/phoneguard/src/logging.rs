//! Logging set-up: text or JSON lines on standard error, written by a
//! background thread so a request never waits on the terminal or a pipe.

use std::io::IsTerminal;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once; later calls do nothing). Keep the
/// returned guard alive until exit: dropping it flushes what is queued.
pub fn init(format: &str, level: &str) -> anyhow::Result<Option<WorkerGuard>> {
    let filter =
        EnvFilter::try_new(level).map_err(|e| anyhow::anyhow!("config key `log.level`: {e}"))?;
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
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
    Ok(res.ok().map(|()| guard))
}
