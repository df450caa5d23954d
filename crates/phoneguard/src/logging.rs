//! Logging set-up: text or JSON lines on standard error.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(format: &str, level: &str) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_new(level).map_err(|e| anyhow::anyhow!("config key `log.level`: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let res = if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.try_init()
    };
    // Already installed (tests start several servers in one process): keep the first.
    drop(res);
    Ok(())
}
