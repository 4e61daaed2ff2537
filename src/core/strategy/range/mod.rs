//! The classic range grid (`.spec/strategies.md`): a lower and an upper price, `levels`
//! prices between them (arithmetic or geometric), one slice bought at a level and sold one
//! level up, again and again. The second strategy behind the seam (`strategy::kind`).
//!
//! Entry points: [`from_toml_str`] (a `kind = "range"` file, read in `config::range`), [`validate`],
//! [`validate_for_market`] (the feasibility preflight) and [`plan`].
//!
//! # Invariants of [`plan`] (checked by `proptests.rs`, numbered as there)
//!
//! 1. Every emitted order passes the symbol's filters with the effective reference, and the
//!    set passes the count filters.
//! 2. The sell quantities together never exceed the position.
//! 3. No buy is at or above `market.last`; every order's price is one of the grid's levels.
//! 4. Deterministic, also under any input order of the fills.
//! 5. Replan band: for every `x` strictly inside `(replan_below, replan_above)` the plan at
//!    `last = x` has the same orders and `done`.
//! 6. At most one order per slot.

mod cells;
mod levels;
mod plan;
mod validate;

pub use levels::level_prices;
pub use plan::plan;
pub use validate::{validate, validate_for_market};

pub use crate::core::strategy::config::range::{from_toml_str, RangeConfig, Spacing, KIND};

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    pub(crate) use crate::core::money::{Price, Quote};
    pub(crate) use crate::core::strategy::config::{StrategyConfig, StrategyKind};
    use rust_decimal_macros::dec;

    /// A FILUSDT-like range grid: 3.00..5.00, 11 arithmetic levels (step 0.20), budget 1000.
    pub(crate) fn range_config() -> StrategyConfig {
        from_toml_str(
            r#"
            kind = "range"
            symbol = "FILUSDT"
            quote_budget = 1000
            [range]
            lower = 3
            upper = 5
            levels = 11
            "#,
        )
        .unwrap()
    }

    /// The [`RangeConfig`] inside `config`.
    pub(crate) fn range_of(config: &StrategyConfig) -> &RangeConfig {
        match &config.kind {
            StrategyKind::Range(r) => r,
            _ => panic!("not a range grid"),
        }
    }

    /// `range_of` for editing.
    pub(crate) fn range_mut(config: &mut StrategyConfig) -> &mut RangeConfig {
        match &mut config.kind {
            StrategyKind::Range(r) => r,
            _ => panic!("not a range grid"),
        }
    }

    #[test]
    fn the_fixture_reads() {
        let c = range_config();
        assert_eq!(range_of(&c).lower, Price::new(dec!(3)));
        assert_eq!(range_of(&c).spacing, Spacing::Arithmetic);
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
