//! Carrier one-tap authentication (本机号码校验 / 一键登录): the carrier SDK on
//! the phone returns a short-lived token over the mobile data network; a
//! supplier exchanges it for the number itself (`GetMobile`) or for a verdict
//! on a number the user typed (`VerifyMobile`).
//!
//! The token is a bearer secret: [`CarrierToken`] never prints it, and it is
//! never stored (a single-use mark keeps only its keyed hash).

use serde::{Deserialize, Serialize};

/// Longest token accepted (carrier tokens are a few hundred characters).
pub const MAX_TOKEN_LEN: usize = 2048;

/// A carrier token: printable ASCII, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct CarrierToken(String);

impl std::fmt::Debug for CarrierToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CarrierToken([redacted])")
    }
}

impl CarrierToken {
    /// A token as given by a caller, or what is wrong with it (never the value).
    pub fn parse(s: &str) -> Result<CarrierToken, &'static str> {
        if s.is_empty() {
            return Err("carrier_token is empty");
        }
        if s.len() > MAX_TOKEN_LEN {
            return Err("carrier_token is longer than 2048 characters");
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("carrier_token must be printable ASCII without spaces");
        }
        Ok(CarrierToken(s.to_string()))
    }

    /// The token itself, for the supplier call only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a carrier query asks: the number of a token (`phone` absent), or
/// whether the token belongs to `phone` (the subject's number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierQuery {
    /// The token from the carrier SDK.
    pub token: CarrierToken,
    /// `true`: VerifyMobile (the subject's number is checked); `false`: GetMobile.
    pub verify: bool,
}

/// A VerifyMobile verdict (Aliyun's `VerifyResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierVerdict {
    /// `PASS`: the token belongs to the number.
    Pass,
    /// `REJECT`: it belongs to another number.
    Reject,
    /// `UNKNOWN`: the carrier cannot tell.
    Unknown,
}

impl CarrierVerdict {
    /// Aliyun's spelling, e.g. `PASS`.
    pub const fn aliyun(self) -> &'static str {
        match self {
            CarrierVerdict::Pass => "PASS",
            CarrierVerdict::Reject => "REJECT",
            CarrierVerdict::Unknown => "UNKNOWN",
        }
    }

    /// From Aliyun's spelling.
    pub fn from_aliyun(s: &str) -> Option<CarrierVerdict> {
        match s.trim() {
            "PASS" => Some(CarrierVerdict::Pass),
            "REJECT" => Some(CarrierVerdict::Reject),
            "UNKNOWN" => Some(CarrierVerdict::Unknown),
            _ => None,
        }
    }
}

/// Why a token was refused: the caller's problem, not the supplier's (the
/// router does not fail over on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenProblem {
    /// Not a token of this tenant, damaged, or made up.
    Invalid,
    /// Its lifetime is over.
    Expired,
    /// It was exchanged before.
    Used,
}

impl TokenProblem {
    /// The API code, e.g. `token_used`.
    pub const fn code(self) -> &'static str {
        match self {
            TokenProblem::Invalid => "token_invalid",
            TokenProblem::Expired => "token_expired",
            TokenProblem::Used => "token_used",
        }
    }
}

/// A carrier supplier's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarrierAnswer {
    /// GetMobile: the number of the token.
    Number {
        /// E.164.
        e164: String,
        /// Carrier code (`cmcc`…), when known.
        carrier: Option<String>,
    },
    /// VerifyMobile: the verdict.
    Verdict(CarrierVerdict),
    /// The token was refused.
    Token(TokenProblem),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_and_never_printed() {
        let t = CarrierToken::parse("ctk_secret-value").unwrap();
        assert!(!format!("{t:?}").contains("secret"));
        assert_eq!(t.expose(), "ctk_secret-value");
        assert!(CarrierToken::parse("").is_err());
        assert!(CarrierToken::parse("a b").is_err());
        assert!(CarrierToken::parse(&"a".repeat(2049)).is_err());
        assert_eq!(
            CarrierVerdict::from_aliyun("REJECT"),
            Some(CarrierVerdict::Reject)
        );
        assert_eq!(TokenProblem::Used.code(), "token_used");
    }
}
