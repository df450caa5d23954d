//! Location strings live for the whole process, so a [`Location`](crate::Location)
//! is `Copy` and serialises without touching its table.
//!
//! Each distinct string is stored once per process however many tables are
//! loaded, so memory stays bounded by the distinct place names (a few KiB).

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

static STRINGS: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);

/// The process-wide copy of `s`.
pub(crate) fn intern(s: &str) -> &'static str {
    let mut set = STRINGS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = set.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.into());
    set.insert(leaked);
    leaked
}
