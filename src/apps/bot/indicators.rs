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
        feed(indicators, std::mem::take(&mut self.fresh_candles));
    }

    /// What the plan reads: the indicators once warm (see the module docs).
    pub fn indicator_snapshot(&self) -> Option<IndicatorSnapshot> {
        self.indicators.as_ref().and_then(Indicators::warm_snapshot)
    }
}

/// Pushes `fresh` into `indicators`, starting them over first on a reload: a refilled
/// window follows a gap, and a value carried over it (the ATR's previous close, the count)
/// would mix candles from both sides of the gap.
fn feed(indicators: &mut Indicators, fresh: Fresh) {
    if fresh.reloaded {
        *indicators = Indicators::new(indicators.spec());
    }
    for c in &fresh.candles {
        indicators.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::candle::Candle;
    use crate::core::indicators::{IndicatorSpec, VolMeasure};
    use crate::core::money::{Price, Qty};
    use rust_decimal::Decimal;

    fn candle(minute: i64, close: i64) -> Candle {
        let p = |n: i64| Price::new(Decimal::from(n));
        Candle {
            open_time_ms: minute * 60_000,
            open: p(close),
            high: p(close + 1),
            low: p(close - 1),
            close: p(close),
            volume: Qty::ZERO,
            close_time_ms: minute * 60_000 + 59_999,
        }
    }

    #[test]
    fn a_reloaded_window_starts_the_indicators_over() {
        let spec = IndicatorSpec {
            mean_window: Some(3),
            atr_window: Some(3),
            volatility: Some((VolMeasure::Atr, 3)),
            ..IndicatorSpec::default()
        };
        let before: Vec<Candle> = (0..5).map(|m| candle(m, 100 + 10 * m)).collect();
        // An outage, then the window read again over REST.
        let window: Vec<Candle> = (60..63).map(|m| candle(m, 50 + m)).collect();
        let mut live = Indicators::new(spec);
        feed(
            &mut live,
            Fresh {
                reloaded: false,
                candles: before,
            },
        );
        feed(
            &mut live,
            Fresh {
                reloaded: true,
                candles: window.clone(),
            },
        );
        let mut fresh_start = Indicators::new(spec);
        feed(
            &mut fresh_start,
            Fresh {
                reloaded: false,
                candles: window,
            },
        );
        assert_eq!(live.warm_snapshot(), fresh_start.warm_snapshot());
        assert!(live.warm_snapshot().is_some());
    }
}
