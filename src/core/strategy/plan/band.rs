//! The replan band: the open interval of last prices around `last` in which the plan's
//! orders stay the same (`.spec/strategy.md` §3 "Replan band").
//!
//! Every rule of the plan that compares `last` with a fixed price registers that price here,
//! saying on which side of it the behaviour flips. The band is then the tightest interval
//! `(below, above)` with `below ≤ last ≤ above` that no registered price cuts: for every `x`
//! with `below < x < above` the plan at `x` equals the plan at `last`.

use crate::core::money::Price;

/// Collects thresholds and narrows the band around `last`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Band {
    last: Price,
    below: Option<Price>,
    above: Option<Price>,
}

impl Band {
    /// An unbounded band around `last`.
    pub(crate) fn new(last: Price) -> Self {
        Self {
            last,
            below: None,
            above: None,
        }
    }

    /// The plan differs between `last ≤ t` and `last > t`.
    pub(crate) fn split_le(&mut self, t: Price) {
        if self.last <= t {
            self.cap_above(t);
        } else {
            self.cap_below(t);
        }
    }

    /// The plan differs between `last < t` and `last ≥ t`.
    pub(crate) fn split_lt(&mut self, t: Price) {
        if self.last >= t {
            self.cap_below(t);
        } else {
            self.cap_above(t);
        }
    }

    /// The plan depends on `last` continuously: any change of `last` needs a new plan.
    pub(crate) fn collapse(&mut self) {
        self.below = Some(self.last);
        self.above = Some(self.last);
    }

    fn cap_below(&mut self, t: Price) {
        self.below = Some(self.below.map_or(t, |b| b.max(t)));
    }

    fn cap_above(&mut self, t: Price) {
        self.above = Some(self.above.map_or(t, |a| a.min(t)));
    }

    /// `(replan_below, replan_above)`; `None` is unbounded on that side.
    pub(crate) fn bounds(&self) -> (Option<Price>, Option<Price>) {
        (self.below, self.above)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn thresholds_narrow_the_band_on_the_right_side() {
        let mut b = Band::new(Price::new(dec!(100)));
        b.split_le(Price::new(dec!(90)));
        b.split_le(Price::new(dec!(95)));
        b.split_lt(Price::new(dec!(102)));
        b.split_le(Price::new(dec!(110)));
        assert_eq!(
            b.bounds(),
            (Some(Price::new(dec!(95))), Some(Price::new(dec!(102))))
        );
    }

    #[test]
    fn a_threshold_at_last_bounds_the_side_that_behaves_differently() {
        // Buy at 100 is skipped at last = 100 and below, placed above: band ends at 100.
        let mut b = Band::new(Price::new(dec!(100)));
        b.split_le(Price::new(dec!(100)));
        assert_eq!(b.bounds(), (None, Some(Price::new(dec!(100)))));
        // Reanchor holds at last = 100 and above: band starts at 100.
        let mut b = Band::new(Price::new(dec!(100)));
        b.split_lt(Price::new(dec!(100)));
        assert_eq!(b.bounds(), (Some(Price::new(dec!(100))), None));
        b.collapse();
        assert_eq!(
            b.bounds(),
            (Some(Price::new(dec!(100))), Some(Price::new(dec!(100))))
        );
    }
}
