//! Mean reversion (`.spec/strategies.md` §7): one limit buy resting on the lower band of a
//! rolling mean of closes (`mean − entry_z × std`), sold back at the mean (or earlier at a
//! take profit, never below the price that clears two fees), with a stop below the entry.
//! The third strategy behind the seam (`strategy::kind`); it reads indicators
//! (`core::indicators`: the mean and standard deviation of `window` closes) from
//! `Market::indicators`.
//!
//! Entry points: [`from_toml_str`], [`validate`], [`validate_for_market`], [`indicator_spec`]
//! and [`plan`].
//!
//! # Invariants of [`plan`] (checked by `proptests.rs`)
//!
//! 1. Every emitted order passes the symbol's filters, and the set the count filters.
//! 2. The sell quantities together never exceed the position.
//! 3. No buy is at or above `market.last`.
//! 4. Deterministic, also under any input order of the fills.
//! 5. Replan band: for every `x` strictly inside `(replan_below, replan_above)` the plan at
//!    `last = x` has the same orders (the indicators fixed).
//! 6. At most one order per slot, and never a buy and a sell together.

mod plan;
mod validate;

pub use plan::plan;
pub use validate::{validate, validate_for_market};

use crate::core::indicators::IndicatorSpec;
pub use crate::core::strategy::config::mean_reversion::{from_toml_str, MeanReversionConfig, KIND};

/// The indicators the strategy reads: the mean and standard deviation of `window` closes.
pub fn indicator_spec(mr: &MeanReversionConfig) -> IndicatorSpec {
    IndicatorSpec {
        mean_window: Some(mr.window),
        ..IndicatorSpec::default()
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::core::strategy::config::{StrategyConfig, StrategyKind};

    /// A FILUSDT mean reversion: 20 closes, 2 deviations, stop 5 %, budget 1000.
    pub(crate) fn mr_config() -> StrategyConfig {
        from_toml_str(
            r#"
            kind = "mean_reversion"
            symbol = "FILUSDT"
            quote_budget = 1000
            [mean_reversion]
            window = 20
            entry_z = 2
            stop_loss_pct = 5
            "#,
        )
        .unwrap()
    }

    /// The [`MeanReversionConfig`] inside `config`, for editing.
    pub(crate) fn mr_mut(config: &mut StrategyConfig) -> &mut MeanReversionConfig {
        match &mut config.kind {
            StrategyKind::MeanReversion(m) => m,
            _ => panic!("not a mean reversion"),
        }
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
