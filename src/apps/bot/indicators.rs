//! The live bot's indicators (`.spec/bot.md`, "Indicators"): what a strategy that reads
//! them (`kind::indicator_spec` is `Some`) plans with, fed from the closed candles of
//! `candles.rs` exactly as the backtester feeds them.
//!
//! - **Size**: the candle window holds the warm-up plus one candle
//!   ([`candle_window`]): the first true range of the ATR reads the close before it.
//! - **Feed**: every step first pushes the candles added since the last step, oldest first,
//!   each once; a `reloaded` window (first start, an outage longer than the window) starts
//!   the indicators over.
//! - **Warm**: until the indicators hold their warm-up, the plan gets no snapshot at all
//!   (`Indicators::warm_snapshot`, the backtester's rule too), so no decision is taken on a
//!   half-filled window; a grid with volatility sizing opens no basket before its factor
//!   is known (`volatility::may_anchor`).
//! - **Restart**: nothing is journalled: the start reads the last window of closed candles
//!   over REST and the indicators rebuilt from them equal those of an uninterrupted run (each
//!   value depends on the last window only), so the plan after a restart is the same.

use super::candles::Fresh;
use super::Bot;
use crate::core::indicators::{IndicatorSnapshot, Indicators};
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::kind::indicator_spec;
use crate::ports::exchange::Exchange;
use crate::ports::store::Store;

/// Closed candles a bot keeps for `strategy`'s indicators: the warm-up and the candle
/// before it; 0 when the strategy reads none.
pub fn candle_window(strategy: &StrategyConfig) -> usize {
    indicator_spec(strategy).map_or(0, |spec| {
        usize::try_from(Indicators::new(spec).warmup_candles())
            .unwrap_or(usize::MAX)
            .saturating_add(1)
    })
}

/// The strategy's empty indicators, or `None` when it reads none.
pub(super) fn for_strategy(strategy: &StrategyConfig) -> Option<Indicators> {
    indicator_spec(strategy).map(Indicators::new)
}

impl<E: Exchange, S: Store> Bot<E, S> {
    /// Closed candles read by someone else for this bot's symbol (a portfolio reads each
    /// symbol's once for all its grids): the next step feeds them to the indicators.
    pub fn add_candles(&mut self, fresh: Fresh) {
        self.fresh_candles.append(fresh);
    }

    /// The candles added since the last call, in order, for indicators kept by the caller
    /// (with `reloaded`: start them over first). Empty for a strategy that reads
    /// indicators: its step feeds them the candles itself.
    pub fn take_fresh_candles(&mut self) -> Fresh {
        std::mem::take(&mut self.fresh_candles)
    }

    /// Pushes the candles added since the last step into the indicators (starting them over
    /// on a reload). Without indicators they stay for [`Self::take_fresh_candles`].
    pub(super) fn feed_indicators(&mut self) {
        let Some(indicators) = self.indicators.as_mut() else {
            return;
        };
        let fresh = std::mem::take(&mut self.fresh_candles);
        if fresh.reloaded {
            *indicators = Indicators::new(indicators.spec());
        }
        for c in &fresh.candles {
            indicators.push(c);
        }
    }

    /// What the plan reads: the indicators once warm (see the module docs).
    pub fn indicator_snapshot(&self) -> Option<IndicatorSnapshot> {
        self.indicators.as_ref().and_then(Indicators::warm_snapshot)
    }
}
