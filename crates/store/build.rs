//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!`
//! embeds the files at compile time, and cargo does not otherwise watch the
//! directory (a new migration file was silently left out of incremental builds).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
