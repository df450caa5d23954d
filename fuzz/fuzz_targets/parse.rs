//! Any input to the number parser: nothing panics, and `lookup` accepts
//! whatever `parse` accepts, as the same number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phoneguard_numbering::{NumberTable, lookup, mask, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(input);
    let info = lookup(NumberTable::embedded(), input);
    if let Ok(number) = &parsed {
        let info = info.as_ref().expect("lookup accepts what parse accepts");
        assert_eq!(info.national, number.national());
        assert_eq!(info.number, number.e164());
    }
    if let Err(e) = &parsed {
        assert!(!e.code().is_empty());
        assert!(!e.to_string().is_empty());
    }
    let _ = mask(input);
});
