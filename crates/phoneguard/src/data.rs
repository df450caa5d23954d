//! `phoneguard data build`: compiles a `phone.dat` into the number table.

use std::path::Path;

use anyhow::Context;
use phoneguard_numbering::NumberTable;

/// Reads `phone_dat`, compiles it, checks the result loads, and writes it to `out`.
/// Returns the size of the table in bytes.
pub fn build(phone_dat: &Path, out: &Path) -> anyhow::Result<usize> {
    let raw =
        std::fs::read(phone_dat).with_context(|| format!("cannot read {}", phone_dat.display()))?;
    let table = phoneguard_numbering::build_table(&raw)
        .with_context(|| format!("{} is not a usable phone.dat", phone_dat.display()))?;
    NumberTable::from_bytes(&table).context("the compiled table does not load back")?;
    std::fs::write(out, &table).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(table.len())
}
