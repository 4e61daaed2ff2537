//! Trend following (`.spec/strategies.md` §8): buy on a breakout above the `channel`'s
//! previous high (or while the fast moving average is above the slow one), sized so that the
//! stop at entry loses `risk_pct` of the budget, and sell on a trailing stop `atr_stop` ATRs
//! below the channel's highest high (a chandelier exit). The fourth strategy behind the seam
//! (`strategy::kind`); it reads indicators (`core::indicators`) from `Market::indicators`.
//!
//! Entry points: [`from_toml_str`], [`validate`], [`validate_for_market`], [`indicator_spec`]
//! and [`plan`].
//!
//! # Invariants of [`plan`] (checked by `proptests.rs`)
//!
//! 1. Every emitted order passes the symbol's filters, and the set the count filters.
//! 2. The sell quantities together never exceed the position.
//! 3. No buy is at or above `market.last`; no buy costs more than `quote_budget`.
//! 4. Deterministic, also under any input order of the fills.
//! 5. Replan band: for every `x` strictly inside `(replan_below, replan_above)` the plan at
//!    `last = x` has the same orders (the indicators fixed).
//! 6. At most one order per slot, and never a buy and a sell together.

mod plan;
mod validate;

pub use plan::plan;
pub use validate::{validate, validate_for_market};

use crate::core::indicators::IndicatorSpec;
pub use crate::core::strategy::config::trend::{from_toml_str, TrendConfig, TrendEntry, KIND};

/// The indicators the strategy reads: the channel, the ATR, and with `ma_cross` the two
/// moving averages.
pub fn indicator_spec(t: &TrendConfig) -> IndicatorSpec {
    IndicatorSpec {
        mean_window: None,
        moving_averages: match t.entry {
            TrendEntry::MaCross => t.fast.zip(t.slow),
            TrendEntry::Breakout => None,
        },
        atr_window: Some(t.atr),
        channel_window: Some(t.channel),
        volatility: None,
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::core::strategy::config::{StrategyConfig, StrategyKind};

    /// A FILUSDT breakout: 20-candle channel, ATR 14, stop 3 ATRs, risk 2 %, budget 1000.
    pub(crate) fn trend_config() -> StrategyConfig {
        from_toml_str(
            r#"
            kind = "trend"
            symbol = "FILUSDT"
            quote_budget = 1000
            [trend]
            channel = 20
            atr_stop = 3
            risk_pct = 2
            "#,
        )
        .unwrap()
    }

    /// The [`TrendConfig`] inside `config`, for editing.
    pub(crate) fn trend_mut(config: &mut StrategyConfig) -> &mut TrendConfig {
        match &mut config.kind {
            StrategyKind::Trend(t) => t,
            _ => panic!("not a trend"),
        }
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
