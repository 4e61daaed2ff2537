//! The classic range grid (`.spec/strategies.md`): a lower and an upper price, `levels`
//! prices between them (arithmetic or geometric), one slice bought at a level and sold one
//! level up, again and again. The second strategy behind the seam (`strategy::kind`).
//!
//! Entry points: [`from_toml_str`] (a `kind = "range"` file), [`validate`],
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

use crate::core::money::{Pct, Price, Quote};
use crate::core::strategy::config::{
    defaults, toml_text, ConfigError, LevelsConfig, StrategyConfig, TrailDown,
};
use crate::core::strategy::kind::StrategyKind;
use crate::core::symbol::Symbol;
use serde::{Deserialize, Serialize};

/// `kind = "range"` in a strategy file.
pub const KIND: &str = "range";

/// How the level prices are spread between `lower` and `upper`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Spacing {
    /// Equal price steps: `(upper − lower) / (levels − 1)`.
    #[default]
    Arithmetic,
    /// Equal ratios: each level is the previous one times `(upper / lower)^(1 / (levels − 1))`.
    Geometric,
}

/// The `[range]` table of a range grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeConfig {
    /// Lowest level price.
    pub lower: Price,
    /// Highest level price.
    pub upper: Price,
    /// Number of level prices, `lower` and `upper` included (at least 2).
    pub levels: u16,
    /// Spreading of the levels (default arithmetic).
    #[serde(default)]
    pub spacing: Spacing,
    /// Realised grid profit raises the slice of the next buys (default off).
    #[serde(default)]
    pub reinvest: bool,
    /// Sell everything and end the grid once the price falls to this (below `lower`).
    #[serde(default)]
    pub stop_loss: Option<Price>,
}

/// A range grid strategy file, with every key it accepts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeFile {
    #[allow(dead_code)] // read by the seam to get here
    kind: String,
    symbol: Symbol,
    quote_budget: Quote,
    #[serde(default = "defaults::fee_pct")]
    fee_pct: Pct,
    #[serde(default = "defaults::exit_slippage_pct")]
    exit_slippage_pct: Pct,
    range: RangeConfig,
}

/// Reads a `kind = "range"` strategy file strictly: the shared keys (`symbol`,
/// `quote_budget`, `fee_pct`, `exit_slippage_pct`) and the `[range]` table. A basket grid key
/// is an unknown key here.
pub fn from_toml_str(text: &str) -> Result<StrategyConfig, ConfigError> {
    let f: RangeFile = toml_text::from_str(text)?;
    Ok(StrategyConfig {
        symbol: f.symbol,
        quote_budget: f.quote_budget,
        // The basket grid's keys, inert: no levels, and no reanchor, restart or follow, so
        // `core::cycle` never moves or restarts a range grid (a stop loss ends it).
        levels: LevelsConfig::Explicit(Vec::new()),
        max_open_buys: None,
        tp1_pct: defaults::tp1_pct(),
        tp1_share: defaults::tp1_share(),
        tp2_pct: defaults::tp2_pct(),
        tp2_share: defaults::tp2_share(),
        tp_decay_pct_per_level: defaults::tp_decay_pct_per_level(),
        tp_min_pct: defaults::tp_min_pct(),
        trail_activation_pct: defaults::trail_activation_pct(),
        trail_delta_pct: defaults::trail_delta_pct(),
        breakeven_after_tp1: false,
        hard_stop_pct: defaults::hard_stop_pct(),
        extension: None,
        reanchor_up_pct: defaults::reanchor_up_pct(),
        reanchor_cooldown_secs: defaults::reanchor_cooldown_secs(),
        auto_reanchor: false,
        trail_up_max_pct: None,
        trail_down: TrailDown::Stop,
        trail_down_max_pct: None,
        auto_restart: false,
        exit_slippage_pct: f.exit_slippage_pct,
        fee_pct: f.fee_pct,
        kind: StrategyKind::Range(f.range),
    })
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
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
            StrategyKind::Basket => panic!("not a range grid"),
        }
    }

    /// `range_of` for editing.
    pub(crate) fn range_mut(config: &mut StrategyConfig) -> &mut RangeConfig {
        match &mut config.kind {
            StrategyKind::Range(r) => r,
            StrategyKind::Basket => panic!("not a range grid"),
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
