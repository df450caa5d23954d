//! The card type byte of `phone.dat` (卡类型).

use crate::carrier::{Carrier, Network};

/// The card type `phone.dat` records for a seven-digit prefix.
///
/// The values the upstream package defines are 1 移动, 2 联通, 3 电信,
/// 4 电信虚拟运营商, 5 联通虚拟运营商, 6 移动虚拟运营商, 7 广电,
/// 8 广电虚拟运营商. Others (0, 9–15) are kept as they are and mean "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardType(u8);

impl CardType {
    /// The largest value the compiled table can hold (4 bits).
    pub const MAX: u8 = 15;

    /// Wraps a raw card type; `None` if it does not fit the table's 4 bits.
    pub const fn new(raw: u8) -> Option<CardType> {
        if raw <= Self::MAX {
            Some(CardType(raw))
        } else {
            None
        }
    }

    /// The low four bits of `raw`.
    pub(crate) const fn from_nibble(raw: u8) -> CardType {
        CardType(raw & Self::MAX)
    }

    /// The raw byte as in `phone.dat`.
    pub const fn raw(self) -> u8 {
        self.0
    }

    /// The carrier this card type names, if any.
    pub const fn carrier(self) -> Option<Carrier> {
        match self.0 {
            1 | 6 => Some(Carrier::Cmcc),
            2 | 5 => Some(Carrier::Cucc),
            3 | 4 => Some(Carrier::Ctcc),
            7 | 8 => Some(Carrier::Cbn),
            _ => None,
        }
    }

    /// `Mno` for 1, 2, 3, 7; `Mvno` for 4, 5, 6, 8; `Unknown` otherwise.
    pub const fn network(self) -> Network {
        match self.0 {
            1 | 2 | 3 | 7 => Network::Mno,
            4 | 5 | 6 | 8 => Network::Mvno,
            _ => Network::Unknown,
        }
    }

    /// The upstream package's label, e.g. `移动虚拟运营商`; `None` for unknown values.
    pub const fn label_zh(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "移动",
            2 => "联通",
            3 => "电信",
            4 => "电信虚拟运营商",
            5 => "联通虚拟运营商",
            6 => "移动虚拟运营商",
            7 => "广电",
            8 => "广电虚拟运营商",
            _ => return None,
        })
    }
}
