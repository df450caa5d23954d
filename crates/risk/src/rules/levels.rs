//! From total score to level (0–4) and from level to decision.

use serde::{Deserialize, Serialize};

/// The risk types of the seed: 1 account, 2 network, 3 device, 4 behaviour.
pub const RISK_TYPES: [u8; 4] = [1, 2, 3, 4];

/// `account`, `network`, `device`, `behaviour` (`unknown` otherwise).
pub fn risk_type_name(risk_type: u8) -> &'static str {
    match risk_type {
        1 => "account",
        2 => "network",
        3 => "device",
        4 => "behaviour",
        _ => "unknown",
    }
}

/// What the caller should do with the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Let it through (level 0 by default).
    Allow,
    /// Ask for more proof, e.g. an SMS code (levels 1–2 by default).
    Review,
    /// Refuse (levels 3–4 by default).
    Deny,
}

impl Decision {
    /// `allow`, `review` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Review => "review",
            Decision::Deny => "deny",
        }
    }
}

/// `[levels]` of a rules file.
///
/// ```toml
/// [levels]
/// thresholds = [20, 40, 60, 80]   # least total score of levels 1, 2, 3, 4
/// decisions = ["allow", "review", "review", "deny", "deny"]  # of levels 0–4
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    /// Least total score of levels 1, 2, 3 and 4, strictly increasing.
    pub thresholds: [i64; 4],
    /// Decision of levels 0 to 4, never less severe for a higher level.
    #[serde(default = "default_decisions")]
    pub decisions: [Decision; 5],
}

fn default_decisions() -> [Decision; 5] {
    use Decision::*;
    [Allow, Review, Review, Deny, Deny]
}

impl Levels {
    /// The level of a total score: the number of thresholds it reaches.
    pub fn level(&self, score: i64) -> u8 {
        self.thresholds.iter().filter(|&&t| score >= t).count() as u8
    }

    /// The decision of a level (levels above 4 take level 4's).
    pub fn decision(&self, level: u8) -> Decision {
        self.decisions[usize::from(level.min(4))]
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if self.thresholds[0] <= 0 {
            return Err("thresholds must be positive".into());
        }
        if !self.thresholds.windows(2).all(|w| w[0] < w[1]) {
            return Err("thresholds must be strictly increasing".into());
        }
        if !self.decisions.windows(2).all(|w| w[0] <= w[1]) {
            return Err("decisions must not get milder as the level rises".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_map_to_levels_and_decisions() {
        let l = Levels {
            thresholds: [20, 40, 60, 80],
            decisions: default_decisions(),
        };
        let got: Vec<u8> = [-5, 0, 19, 20, 39, 40, 60, 79, 80, 500]
            .iter()
            .map(|&s| l.level(s))
            .collect();
        assert_eq!(got, [0, 0, 0, 1, 1, 2, 3, 3, 4, 4]);
        assert_eq!(l.decision(0), Decision::Allow);
        assert_eq!(l.decision(2), Decision::Review);
        assert_eq!(l.decision(3), Decision::Deny);
        assert!(l.check().is_ok());
    }

    #[test]
    fn inconsistent_levels_are_refused() {
        let mut l = Levels {
            thresholds: [20, 20, 60, 80],
            decisions: default_decisions(),
        };
        assert!(l.check().is_err());
        l.thresholds = [20, 40, 60, 80];
        l.decisions[4] = Decision::Allow;
        assert!(l.check().is_err());
    }
}
