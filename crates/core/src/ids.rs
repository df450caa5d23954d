//! Identifiers: a short type prefix and a time-ordered UUID v7.
//!
//! `ten_0196f6d1c3a47b6e8f5c2d1a9b3e7f40`: sortable by creation time, unguessable
//! enough for identifiers (never used as secrets).

use uuid::Uuid;

/// A new identifier with the given prefix (without the underscore), e.g. `new_id("ten")`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", Uuid::now_v7().simple())
}

/// True when `id` has the form `<prefix>_<32 lowercase hex>`.
pub fn is_valid_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|hex| {
            hex.len() == 32
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_id_has_its_prefix_and_validates() {
        let id = new_id("ten");
        assert!(id.starts_with("ten_"));
        assert!(is_valid_id("ten", &id));
        assert!(!is_valid_id("key", &id));
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "ten",
            "ten_",
            "ten_xyz",
            "ten_0196F6D1C3A47B6E8F5C2D1A9B3E7F40",
            "ten_0196f6d1c3a47b6e8f5c2d1a9b3e7f4",
        ] {
            assert!(!is_valid_id("ten", bad), "{bad}");
        }
    }

    #[test]
    fn ids_created_later_sort_later() {
        let a = new_id("ver");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("ver");
        assert!(a < b);
    }
}
