//! The range grid's level prices: `levels` prices from `lower` to `upper`, arithmetic (equal
//! steps) or geometric (equal ratios), each rounded down to the tick.
//!
//! Geometric ratios come from `rust_decimal`'s `powd` (an exact-decimal series, not a binary
//! float): deterministic, and every price is rounded to the tick anyway.

use super::{RangeConfig, Spacing};
use crate::core::filters::SymbolFilters;
use crate::core::money::Price;
use rust_decimal::{Decimal, MathematicalOps};

/// The unrounded level prices, lowest first; `None` when the config cannot form a grid
/// (fewer than 2 levels, bounds not `0 < lower < upper`, or overflow).
pub(super) fn raw_prices(range: &RangeConfig) -> Option<Vec<Decimal>> {
    let (lower, upper) = (range.lower.get(), range.upper.get());
    if range.levels < 2 || lower <= Decimal::ZERO || upper <= lower {
        return None;
    }
    let gaps = Decimal::from(range.levels - 1);
    let mut prices = Vec::with_capacity(usize::from(range.levels));
    match range.spacing {
        Spacing::Arithmetic => {
            let step = (upper - lower).checked_div(gaps)?;
            for i in 0..range.levels {
                prices.push(lower.checked_add(step.checked_mul(Decimal::from(i))?)?);
            }
        }
        Spacing::Geometric => {
            let ratio = upper
                .checked_div(lower)?
                .checked_powd(Decimal::ONE.checked_div(gaps)?)?;
            let mut p = lower;
            for _ in 0..range.levels {
                prices.push(p);
                p = p.checked_mul(ratio)?;
            }
        }
    }
    // The series may land a hair off `upper`; the top level is `upper` by definition.
    *prices.last_mut()? = upper;
    Some(prices)
}

/// The level prices rounded down to the tick, lowest first (empty when the config cannot
/// form a grid). Level `k` (1-based) holds the buy `Bk` and the sell `Sk`.
pub fn level_prices(range: &RangeConfig, filters: &SymbolFilters) -> Vec<Price> {
    raw_prices(range).map_or_else(Vec::new, |raw| {
        raw.into_iter()
            .map(|p| filters.round_price_down(Price::new(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn range(lower: Decimal, upper: Decimal, levels: u16, spacing: Spacing) -> RangeConfig {
        RangeConfig {
            lower: Price::new(lower),
            upper: Price::new(upper),
            levels,
            spacing,
            reinvest: false,
            stop_loss: None,
        }
    }

    fn prices(r: &RangeConfig) -> Vec<Decimal> {
        let f = SymbolFilters::basic(dec!(0.001), dec!(0.01), dec!(5));
        level_prices(r, &f).into_iter().map(|p| p.get()).collect()
    }

    #[test]
    fn arithmetic_levels_are_equal_steps_from_lower_to_upper() {
        let r = range(dec!(3), dec!(5), 5, Spacing::Arithmetic);
        assert_eq!(
            prices(&r),
            [dec!(3), dec!(3.5), dec!(4), dec!(4.5), dec!(5)]
        );
    }

    #[test]
    fn geometric_levels_are_equal_ratios_rounded_down_to_the_tick() {
        // 4^(1/2) = 2: 1, 2, 4.
        let r = range(dec!(1), dec!(4), 3, Spacing::Geometric);
        assert_eq!(prices(&r), [dec!(1), dec!(2), dec!(4)]);
        // 2^(1/4) = 1.189207…: 3, 3.567, 4.242, 5.045, 6.
        let r = range(dec!(3), dec!(6), 5, Spacing::Geometric);
        assert_eq!(
            prices(&r),
            [dec!(3), dec!(3.567), dec!(4.242), dec!(5.045), dec!(6)]
        );
    }

    #[test]
    fn no_grid_without_two_levels_or_ordered_bounds() {
        assert!(raw_prices(&range(dec!(3), dec!(5), 1, Spacing::Arithmetic)).is_none());
        assert!(raw_prices(&range(dec!(5), dec!(5), 3, Spacing::Geometric)).is_none());
        assert!(raw_prices(&range(dec!(0), dec!(5), 3, Spacing::Geometric)).is_none());
    }
}
