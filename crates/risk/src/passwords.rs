//! The MD5s of common passwords: zxcvbn's 30,000 most common passwords plus
//! a few dozen from Chinese leak studies, as sorted 16-byte digests
//! (`data/common_pwd_md5.bin`, written by `examples/gen_common_pwd.rs`).

/// Sorted MD5 digests, 16 bytes each.
static DIGESTS: &[u8] = include_bytes!("../data/common_pwd_md5.bin");

/// How many common passwords are known.
pub fn common_password_count() -> usize {
    DIGESTS.len() / 16
}

/// Whether `md5_hex` (32 hex digits, either case) is the MD5 of a common
/// password. Anything that is not 32 hex digits is not.
pub fn is_common_password_md5(md5_hex: &str) -> bool {
    let Some(digest) = parse_md5(md5_hex) else {
        return false;
    };
    let (mut lo, mut hi) = (0, common_password_count());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match DIGESTS[mid * 16..mid * 16 + 16].cmp(&digest[..]) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

fn parse_md5(hex_text: &str) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(hex_text.as_bytes(), &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};

    fn md5_hex(s: &str) -> String {
        hex::encode(Md5::digest(s.as_bytes()))
    }

    #[test]
    fn the_list_is_large_sorted_and_has_the_classics() {
        assert!(common_password_count() >= 10_000);
        let chunks: Vec<&[u8]> = DIGESTS.chunks_exact(16).collect();
        assert!(
            chunks.windows(2).all(|w| w[0] < w[1]),
            "digests must be sorted and distinct"
        );
        assert!(is_common_password_md5("e10adc3949ba59abbe56e057f20f883e"));
        assert!(is_common_password_md5("E10ADC3949BA59ABBE56E057F20F883E"));
        for pwd in ["password", "qwerty", "5201314", "woaini1314", "dragon"] {
            assert!(is_common_password_md5(&md5_hex(pwd)), "{pwd}");
        }
    }

    #[test]
    fn strong_or_malformed_inputs_are_not_common() {
        assert!(!is_common_password_md5(&md5_hex(
            "correct horse battery staple 9!"
        )));
        assert!(!is_common_password_md5("e10adc3949ba59abbe56e057f20f883"));
        assert!(!is_common_password_md5("zz0adc3949ba59abbe56e057f20f883e"));
        assert!(!is_common_password_md5(""));
    }
}
