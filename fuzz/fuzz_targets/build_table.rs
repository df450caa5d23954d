//! Any bytes as phone.dat and as a compiled table: errors, never panics, and
//! whatever `build_table` produces loads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phoneguard_numbering::{NumberTable, build_table};

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = build_table(data) {
        let loaded = NumberTable::from_bytes(&table).expect("a built table loads");
        assert!(!loaded.is_empty());
    }
    let _ = NumberTable::from_bytes(data);
});
