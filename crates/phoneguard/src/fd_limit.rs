//! The open-files limit: raised from its soft to its hard value at start, and
//! the connection cap fitted under it.

/// Descriptors kept for everything but client connections: the database
/// pool, Redis, supplier calls, log files.
const RESERVED: u64 = 128;

/// Raises the soft open-files limit to the hard one where allowed and returns
/// the number of client connections to allow: `configured`, lowered (with a
/// warning naming `http.max_connections`) so that clients and as many
/// outgoing connections fit in the limit beside [`RESERVED`] ones.
pub fn connection_cap(configured: usize) -> usize {
    let Some(limit) = raise() else {
        return configured;
    };
    let fits = (limit.saturating_sub(RESERVED) / 2).max(1);
    let fits = usize::try_from(fits).unwrap_or(usize::MAX);
    if configured > fits {
        tracing::warn!(
            configured,
            allowed = fits,
            open_files_limit = limit,
            "http.max_connections lowered to fit the open-files limit (raise `ulimit -n` to allow more)"
        );
        return fits;
    }
    configured
}

/// The soft limit after trying to raise it to the hard one; `None` when
/// unlimited or unknown.
#[cfg(unix)]
fn raise() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let now = getrlimit(Resource::Nofile);
    let soft = now.current?;
    if now.maximum.is_none_or(|hard| hard > soft) {
        let wanted = Rlimit {
            current: now.maximum,
            maximum: now.maximum,
        };
        match setrlimit(Resource::Nofile, wanted) {
            Ok(()) => {
                let raised = getrlimit(Resource::Nofile).current;
                tracing::debug!(from = soft, to = ?raised, "open-files limit raised");
                return raised;
            }
            Err(e) => tracing::debug!(error = %e, soft, "open-files limit not raised"),
        }
    }
    Some(soft)
}

#[cfg(not(unix))]
fn raise() -> Option<u64> {
    None
}
