//! Which supplier carries a code: the verification-code patent's failover and
//! the conversion-weighted choice.
//!
//! Eligible suppliers are enabled, have the channel's capability, cover the
//! phone's carrier and serve the key's mode (sandbox suppliers for test keys,
//! every other kind for live keys). Each gets a score
//!
//! `score = weight × max(floor, (entered + k·prior) / (sent + k))`
//!
//! where `sent` and `entered` count the codes it carried to this carrier within
//! `conversion_window_s` and were (or were not) entered, `prior` (0.8) is the
//! conversion assumed without traffic and `k` (10) how many sends the prior is
//! worth (a smoothed rate: one lost code does not sink a supplier), and `floor`
//! (0.2) keeps every supplier in play so none starves. The code goes through
//! the **highest-scoring supplier not excluded** for the terminal; suppliers
//! excluded for the terminal come after, in score order. When every eligible
//! supplier is excluded, the mappings are forgotten and the choice starts over
//! with the best one.

use std::collections::HashMap;
use std::sync::Arc;

use super::port::{ConversionRow, MessagingRoute};
use crate::KeyMode;
use crate::suppliers::Capability;

/// The conversion formula's parameters (`[verify] conversion_*`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConversionParams {
    /// Smallest factor.
    pub floor: f64,
    /// Conversion assumed without traffic.
    pub prior: f64,
    /// Sends the prior is worth.
    pub prior_weight: f64,
}

impl ConversionParams {
    /// The factor a supplier's weight is multiplied by.
    pub fn factor(&self, row: Option<&ConversionRow>) -> f64 {
        let (sent, entered) = row.map_or((0.0, 0.0), |r| (r.sent as f64, r.entered as f64));
        let rate = (entered + self.prior_weight * self.prior) / (sent + self.prior_weight);
        if rate.is_finite() {
            rate.max(self.floor).min(1.0)
        } else {
            self.prior.max(self.floor)
        }
    }
}

/// The order to try suppliers in, and whether the terminal's exclusions were
/// exhausted (the caller then forgets them: "start over").
#[derive(Clone)]
pub struct Ranking {
    /// Suppliers, first choice first.
    pub order: Vec<Arc<MessagingRoute>>,
    /// Every eligible supplier was excluded.
    pub start_over: bool,
}

/// Suppliers that may carry `cap` to `carrier` for a key of `mode`. Carrier
/// lists name Chinese carriers, so they do not restrict numbers of other
/// countries (`domestic == false`).
pub fn eligible(
    routes: &[Arc<MessagingRoute>],
    cap: Capability,
    carrier: &str,
    domestic: bool,
    mode: KeyMode,
) -> Vec<Arc<MessagingRoute>> {
    let carrier = (!carrier.is_empty()).then_some(carrier);
    routes
        .iter()
        .filter(|r| {
            r.config.enabled
                && r.config.capabilities.contains(&cap)
                && (!domestic || r.config.covers(carrier))
                && r.config.serves(mode)
        })
        .cloned()
        .collect()
}

/// Ranks eligible suppliers given the terminal's excluded ones and the conversion rows.
pub fn rank(
    eligible: Vec<Arc<MessagingRoute>>,
    excluded: &[String],
    conversion: &[ConversionRow],
    params: &ConversionParams,
) -> Ranking {
    let conv: HashMap<&str, &ConversionRow> = conversion
        .iter()
        .map(|r| (r.supplier_id.as_str(), r))
        .collect();
    let mut scored: Vec<(f64, Arc<MessagingRoute>)> = eligible
        .into_iter()
        .map(|r| {
            let f = params.factor(conv.get(r.config.id.as_str()).copied());
            (f64::from(r.config.weight) * f, r)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.config.id.cmp(&b.1.config.id))
    });
    let is_excluded = |r: &MessagingRoute| excluded.contains(&r.config.id);
    let (fresh, used): (Vec<_>, Vec<_>) = scored
        .into_iter()
        .map(|(_, r)| r)
        .partition(|r| !is_excluded(r));
    let start_over = fresh.is_empty() && !used.is_empty();
    let mut order = fresh;
    order.extend(used);
    Ranking { order, start_over }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ConversionParams = ConversionParams {
        floor: 0.2,
        prior: 0.8,
        prior_weight: 10.0,
    };

    #[test]
    fn the_factor_is_smoothed_and_floored() {
        assert!((P.factor(None) - 0.8).abs() < 1e-9);
        let bad = ConversionRow {
            supplier_id: "a".into(),
            sent: 1000,
            entered: 0,
        };
        assert!((P.factor(Some(&bad)) - 0.2).abs() < 1e-9);
        let good = ConversionRow {
            supplier_id: "a".into(),
            sent: 10,
            entered: 10,
        };
        assert!((P.factor(Some(&good)) - 0.9).abs() < 1e-9);
    }
}
