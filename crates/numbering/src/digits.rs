//! A short run of ASCII digits kept inline, so parsing allocates nothing.

use std::fmt;

/// Capacity: `00` + a 15-digit E.164 number.
pub(crate) const CAPACITY: usize = 17;

/// Up to [`CAPACITY`] ASCII digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Digits {
    buf: [u8; CAPACITY],
    len: u8,
}

impl Digits {
    /// Copies `digits`; `None` if they do not fit or are not all ASCII digits.
    pub(crate) fn from_slice(digits: &[u8]) -> Option<Digits> {
        let mut out = Digits::default();
        for &d in digits {
            if !out.push(d) {
                return None;
            }
        }
        Some(out)
    }

    /// Appends one ASCII digit; `false` if full or not a digit.
    pub(crate) fn push(&mut self, digit: u8) -> bool {
        let len = usize::from(self.len);
        match self.buf.get_mut(len) {
            Some(slot) if digit.is_ascii_digit() => {
                *slot = digit;
                self.len += 1;
                true
            }
            _ => false,
        }
    }

    /// The digits as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// The digits as text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this never fails.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}
