//! Incremental indicators over closed candles (`.spec/strategies.md` §6): what the mean
//! reversion and trend strategies read, computed in O(1) per candle in exact decimals.
//!
//! How a caller uses them (the backtester, and the live bot):
//! 1. `kind::indicator_spec(&config)` says what the strategy needs; `None` = nothing (the
//!    grids), and then nothing below happens.
//! 2. [`Indicators::new`] with that spec; feed it the symbol's **closed** candles oldest
//!    first with [`Indicators::push`], each exactly once, on the strategy's interval.
//!    [`Indicators::warmup_candles`] is how many the snapshot needs before it is complete.
//! 3. Plan with `Market { indicators: indicators.warm_snapshot(), .. }`: nothing until
//!    every value has its full window ([`Indicators::warm_snapshot`], the one warm-up rule
//!    of the backtester and the live bot). A candle is fed once it closed and before the plan
//!    that reads it, so no decision sees a candle that had not closed when it was taken (no
//!    look-ahead).
//!
//! The [`IndicatorSnapshot`] is `Copy` and holds only numbers, so the plan stays a pure
//! function of its inputs. Each value is `None` until its window is full.
//!
//! Exactness: means, sums and extremes are exact decimals (a rolling sum equals the naive
//! sum); the standard deviation's square root is rust_decimal's (28 digits), used only to
//! place a band that is then rounded to the tick.

mod window;

use crate::core::candle::Candle;
use crate::core::money::Price;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use window::{Extreme, RollingExtreme, RollingSum};

/// What a strategy asks to be computed. Every window is in candles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorSpec {
    /// Rolling mean and (population) standard deviation of closes.
    pub mean_window: Option<u16>,
    /// Fast and slow simple moving averages of closes (a moving-average cross).
    pub moving_averages: Option<(u16, u16)>,
    /// Average true range (simple mean of the true ranges).
    pub atr_window: Option<u16>,
    /// Donchian channel: highest high and lowest low of the last `n` candles, and the highest
    /// high of the `n` candles before the newest (a breakout's level).
    pub channel_window: Option<u16>,
    /// Relative volatility for volatility sizing (`core::strategy::volatility`): which
    /// measure, over how many candles.
    #[serde(default)]
    pub volatility: Option<(VolMeasure, u16)>,
}

/// How volatility is measured (both per candle, relative to the price, so one reference
/// fits any price level).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolMeasure {
    /// Average true range over the window divided by the newest close.
    #[default]
    Atr,
    /// Population standard deviation of the close-to-close returns over the window.
    Stdev,
}

/// The indicators after the newest fed candle. `Copy`: it rides in `Market`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorSnapshot {
    /// Candles fed so far.
    pub candles: u64,
    /// Close time of the newest fed candle, Unix ms.
    pub close_time_ms: i64,
    /// Close of the newest fed candle.
    pub close: Price,
    /// Mean of the last `mean_window` closes.
    pub mean: Option<Price>,
    /// Standard deviation of the same closes (a price distance).
    pub std_dev: Option<Decimal>,
    /// Fast simple moving average of closes.
    pub fast_ma: Option<Price>,
    /// Slow simple moving average of closes.
    pub slow_ma: Option<Price>,
    /// Average true range over `atr_window` candles (a price distance).
    pub atr: Option<Decimal>,
    /// Highest high of the last `channel_window` candles, the newest included.
    pub channel_high: Option<Price>,
    /// Lowest low of the last `channel_window` candles, the newest included.
    pub channel_low: Option<Price>,
    /// Highest high of the `channel_window` candles before the newest: a close above it is
    /// a breakout.
    pub prior_high: Option<Price>,
    /// The spec's `volatility` as a fraction per candle (0.01 = 1 %).
    #[serde(default)]
    pub volatility: Option<Decimal>,
}

impl IndicatorSnapshot {
    /// How many standard deviations the close lies from the mean (`None` before warm-up or
    /// when every close in the window is equal).
    pub fn z_score(&self) -> Option<Decimal> {
        let (mean, sd) = (self.mean?, self.std_dev?);
        (!sd.is_zero()).then(|| (self.close.get() - mean.get()) / sd)
    }
}

/// The incremental state: feed closed candles with [`Indicators::push`], read
/// [`Indicators::snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicators {
    spec: IndicatorSpec,
    candles: u64,
    last: Option<Candle>,
    closes: Option<RollingSum>,
    fast: Option<RollingSum>,
    slow: Option<RollingSum>,
    true_ranges: Option<RollingSum>,
    highs: Option<RollingExtreme>,
    lows: Option<RollingExtreme>,
    prior_high: Option<Decimal>,
    /// The volatility measure's window: true ranges (ATR) or returns (stdev).
    vol: Option<(VolMeasure, RollingSum)>,
}

impl Indicators {
    /// Empty indicators computing what `spec` asks (a zero window counts as one).
    pub fn new(spec: IndicatorSpec) -> Self {
        Self {
            spec,
            candles: 0,
            last: None,
            closes: spec.mean_window.map(RollingSum::new),
            fast: spec.moving_averages.map(|(f, _)| RollingSum::new(f)),
            slow: spec.moving_averages.map(|(_, s)| RollingSum::new(s)),
            true_ranges: spec.atr_window.map(RollingSum::new),
            highs: spec
                .channel_window
                .map(|n| RollingExtreme::new(n, Extreme::Highest)),
            lows: spec
                .channel_window
                .map(|n| RollingExtreme::new(n, Extreme::Lowest)),
            prior_high: None,
            vol: spec.volatility.map(|(m, n)| (m, RollingSum::new(n))),
        }
    }

    /// What is computed.
    pub fn spec(&self) -> IndicatorSpec {
        self.spec
    }

    /// Candles needed before every value of the snapshot is known.
    pub fn warmup_candles(&self) -> u64 {
        let s = self.spec;
        [
            s.mean_window,
            s.moving_averages.map(|(f, s)| f.max(s)),
            s.atr_window,
            s.channel_window.map(|n| n.saturating_add(1)),
            // Returns need one candle more than there are returns.
            s.volatility.map(|(m, n)| match m {
                VolMeasure::Atr => n,
                VolMeasure::Stdev => n.saturating_add(1),
            }),
        ]
        .into_iter()
        .flatten()
        .map(|n| u64::from(n.max(1)))
        .max()
        .unwrap_or(0)
    }

    /// Feeds one closed candle (oldest first, each once). O(1) amortised.
    pub fn push(&mut self, c: &Candle) {
        let close = c.close.get();
        let true_range = {
            // The candle's range widened to the previous close (a gap).
            let (mut high, mut low) = (c.high.get(), c.low.get());
            if let Some(prev) = &self.last {
                high = high.max(prev.close.get());
                low = low.min(prev.close.get());
            }
            high - low
        };
        match (&mut self.vol, &self.last) {
            (Some((VolMeasure::Atr, sum)), _) => sum.push(true_range),
            (Some((VolMeasure::Stdev, sum)), Some(prev)) if prev.close.is_positive() => {
                sum.push((close - prev.close.get()) / prev.close.get());
            }
            _ => {}
        }
        for sum in [&mut self.closes, &mut self.fast, &mut self.slow]
            .into_iter()
            .flatten()
        {
            sum.push(close);
        }
        if let Some(tr) = &mut self.true_ranges {
            tr.push(true_range);
        }
        if let Some(highs) = &mut self.highs {
            self.prior_high = highs.get();
            highs.push(c.high.get());
        }
        if let Some(lows) = &mut self.lows {
            lows.push(c.low.get());
        }
        self.candles += 1;
        self.last = Some(*c);
    }

    /// What a plan reads: the snapshot once every value has its full window
    /// ([`Self::warmup_candles`]), `None` while warming up. The backtester and the live bot
    /// both plan with it, so they take their first decision on the same candle and no
    /// decision reads a half-filled window.
    pub fn warm_snapshot(&self) -> Option<IndicatorSnapshot> {
        self.snapshot()
            .filter(|s| s.candles >= self.warmup_candles())
    }

    /// The values after the newest candle, each `None` until its own window is full;
    /// `None` before the first candle. Plans read [`Self::warm_snapshot`].
    pub fn snapshot(&self) -> Option<IndicatorSnapshot> {
        let last = self.last?;
        let price = |d: Option<Decimal>| d.map(Price::new);
        Some(IndicatorSnapshot {
            candles: self.candles,
            close_time_ms: last.close_time_ms,
            close: last.close,
            mean: price(self.closes.as_ref().and_then(RollingSum::mean)),
            std_dev: self.closes.as_ref().and_then(RollingSum::std_dev),
            fast_ma: price(self.fast.as_ref().and_then(RollingSum::mean)),
            slow_ma: price(self.slow.as_ref().and_then(RollingSum::mean)),
            atr: self.true_ranges.as_ref().and_then(RollingSum::mean),
            channel_high: price(self.highs.as_ref().and_then(RollingExtreme::get)),
            channel_low: price(self.lows.as_ref().and_then(RollingExtreme::get)),
            prior_high: price(self.prior_high),
            volatility: self.volatility(last.close),
        })
    }

    /// The relative volatility after the newest candle (`None` before its window is full).
    fn volatility(&self, close: Price) -> Option<Decimal> {
        match &self.vol {
            Some((VolMeasure::Atr, trs)) if close.is_positive() => Some(trs.mean()? / close.get()),
            Some((VolMeasure::Stdev, returns)) => returns.std_dev(),
            _ => None,
        }
    }
}

#[cfg(test)]
impl IndicatorSnapshot {
    /// A snapshot after the 100th candle, closing at `close` at minute 1, with every value
    /// unknown: a test sets the values its strategy reads.
    pub(crate) fn unknown_at(close: Price) -> Self {
        Self {
            candles: 100,
            close_time_ms: 60_000,
            close,
            mean: None,
            std_dev: None,
            fast_ma: None,
            slow_ma: None,
            atr: None,
            channel_high: None,
            channel_low: None,
            prior_high: None,
            volatility: None,
        }
    }
}

#[cfg(test)]
mod proptests;
