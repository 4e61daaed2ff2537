//! How many decimals the dashboard shows (`.spec/dashboard.md`, "Numbers"): prices at the
//! symbol's tick, quantities at its lot step, quote amounts at 8 decimals in the API (the
//! pages round them to 2), ratios at 4. Computed values (a VWAP, a P&L with a division in
//! it) otherwise carry 28 significant digits nobody can read. Rounding is half away from
//! zero and the scale is fixed, so a column of prices lines up (`4.500`, not `4.5`).

use crate::core::filters::SymbolFilters;
use crate::core::money::{Price, Qty, Quote};
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimals of quote amounts in the API.
pub const QUOTE_DP: u32 = 8;
/// Decimals of ratios and percentages.
pub const RATIO_DP: u32 = 4;

/// The decimals of one symbol's prices and quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precision {
    /// Decimals of the tick size.
    pub price_dp: u32,
    /// Decimals of the lot step.
    pub qty_dp: u32,
}

impl Default for Precision {
    /// Without the symbol's rules: 8 decimals, Binance's widest.
    fn default() -> Self {
        Self {
            price_dp: 8,
            qty_dp: 8,
        }
    }
}

impl Precision {
    /// The decimals of `filters`' tick size and lot step (`0.00100000` → 3).
    pub fn of(filters: &SymbolFilters) -> Self {
        Self {
            price_dp: decimals(filters.price.tick_size.get()),
            qty_dp: decimals(filters.lot.step_size.get()),
        }
    }

    /// A price at the tick's decimals.
    pub fn price(&self, p: Price) -> Price {
        Price::new(fixed(p.get(), self.price_dp))
    }

    /// A quantity at the step's decimals.
    pub fn qty(&self, q: Qty) -> Qty {
        Qty::new(fixed(q.get(), self.qty_dp))
    }
}

/// A quote amount at [`QUOTE_DP`] decimals.
pub fn quote(q: Quote) -> Quote {
    Quote::new(fixed(q.get(), QUOTE_DP))
}

/// A ratio or percentage at [`RATIO_DP`] decimals.
pub fn ratio(r: Decimal) -> Decimal {
    fixed(r, RATIO_DP)
}

/// Decimals of a step (`0.010` → 2, `1` → 0), at most 28.
fn decimals(step: Decimal) -> u32 {
    step.normalize().scale()
}

/// `d` rounded half away from zero to `dp` decimals and shown with exactly `dp`.
pub fn fixed(d: Decimal, dp: u32) -> Decimal {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn tick_and_step_decide_the_decimals() {
        let p = Precision::of(&SymbolFilters::basic(dec!(0.00100000), dec!(0.01), dec!(5)));
        assert_eq!(
            p,
            Precision {
                price_dp: 3,
                qty_dp: 2
            }
        );
        assert_eq!(p.price(Price::new(dec!(4.5))).to_string(), "4.500");
        assert_eq!(p.price(Price::new(dec!(4.50450))).to_string(), "4.505");
        assert_eq!(p.qty(Qty::new(dec!(7))).to_string(), "7.00");
        let whole = Precision::of(&SymbolFilters::basic(dec!(1), dec!(1), dec!(5)));
        assert_eq!(whole.price(Price::new(dec!(61234.5))).to_string(), "61235");
    }

    #[test]
    fn no_28_digit_decimals() {
        let long = dec!(1.00359529283811692733625819);
        assert_eq!(quote(Quote::new(long)).to_string(), "1.00359529");
        assert_eq!(
            quote(Quote::new(dec!(-0.000000005))).to_string(),
            "-0.00000001"
        );
        assert_eq!(ratio(dec!(66.666666666)).to_string(), "66.6667");
    }
}
