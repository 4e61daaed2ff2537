//! Walk-forward windows: train on one span of time, test on the span right after it, step
//! forward by the test length.
//!
//! - **Rolling**: every training span has the same length and slides forward.
//! - **Anchored**: every training span starts at the first candle and grows.
//!
//! Windows are cut by time, not by candle count, so a gap in the data does not shift them;
//! only whole test spans are used (the last partial span, if any, is left out so every
//! out-of-sample result covers the same length). A test span starts exactly where its
//! training span ends: a candle belongs to the test when its open time is at or after that
//! instant, so no candle is in both.

use crate::adapters::klines::Candle;
use std::ops::Range;

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// How training spans move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowMode {
    /// Fixed-length training span sliding forward.
    Rolling,
    /// Training span from the first candle, growing.
    Anchored,
}

/// One train/test split in time (Unix ms, half-open `[start, end)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TimeWindow {
    /// Training start.
    pub train_start_ms: i64,
    /// Training end = test start.
    pub train_end_ms: i64,
    /// Test end.
    pub test_end_ms: i64,
}

/// The windows over `[start_ms, end_ms)` with `train_days` of training and `test_days` of
/// test each; empty when the data is shorter than one training plus one test span.
pub fn windows(
    start_ms: i64,
    end_ms: i64,
    train_days: u32,
    test_days: u32,
    mode: WindowMode,
) -> Vec<TimeWindow> {
    let (train, test) = (
        i64::from(train_days) * DAY_MS,
        i64::from(test_days) * DAY_MS,
    );
    if train <= 0 || test <= 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut k = 0;
    loop {
        let train_end_ms = start_ms + train + k * test;
        let test_end_ms = train_end_ms + test;
        if test_end_ms > end_ms {
            return out;
        }
        let train_start_ms = match mode {
            WindowMode::Rolling => train_end_ms - train,
            WindowMode::Anchored => start_ms,
        };
        out.push(TimeWindow {
            train_start_ms,
            train_end_ms,
            test_end_ms,
        });
        k += 1;
    }
}

/// Index ranges of the training and test candles of `w` in time-ordered `candles`.
pub fn split(candles: &[Candle], w: &TimeWindow) -> (Range<usize>, Range<usize>) {
    let at = |t: i64| candles.partition_point(|c| c.open_time_ms < t);
    let (a, b, c) = (at(w.train_start_ms), at(w.train_end_ms), at(w.test_end_ms));
    (a..b, b..c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_680_307_200_000; // 2023-04-01

    fn day(d: i64) -> i64 {
        T0 + d * DAY_MS
    }

    #[test]
    fn rolling_windows_slide_by_the_test_length_and_keep_whole_test_spans() {
        // 91 days, 30 train, 15 test: tests start at days 30, 45, 60, 75; 90..105 does not fit.
        let w = windows(T0, day(91), 30, 15, WindowMode::Rolling);
        let got: Vec<(i64, i64, i64)> = w
            .iter()
            .map(|w| {
                (
                    (w.train_start_ms - T0) / DAY_MS,
                    (w.train_end_ms - T0) / DAY_MS,
                    (w.test_end_ms - T0) / DAY_MS,
                )
            })
            .collect();
        assert_eq!(got, [(0, 30, 45), (15, 45, 60), (30, 60, 75), (45, 75, 90)]);
    }

    #[test]
    fn anchored_windows_start_at_the_first_candle_and_grow() {
        let w = windows(T0, day(90), 30, 30, WindowMode::Anchored);
        assert_eq!(w.len(), 2);
        assert!(w.iter().all(|w| w.train_start_ms == T0));
        assert_eq!((w[1].train_end_ms, w[1].test_end_ms), (day(60), day(90)));
    }

    #[test]
    fn too_little_data_or_zero_lengths_give_no_window() {
        assert!(windows(T0, day(44), 30, 15, WindowMode::Rolling).is_empty());
        assert!(windows(T0, day(90), 0, 15, WindowMode::Rolling).is_empty());
        assert!(windows(T0, day(90), 30, 0, WindowMode::Anchored).is_empty());
    }

    #[test]
    fn split_puts_every_candle_on_one_side_of_the_boundary() {
        let candles: Vec<Candle> = (0..(3 * 1440))
            .map(|m| {
                let p = crate::core::money::Price::new(rust_decimal::Decimal::ONE);
                Candle {
                    open_time_ms: T0 + m * 60_000,
                    open: p,
                    high: p,
                    low: p,
                    close: p,
                    volume: crate::core::money::Qty::ZERO,
                    close_time_ms: T0 + m * 60_000 + 59_999,
                }
            })
            .collect();
        let w = windows(T0, day(3), 2, 1, WindowMode::Rolling)[0];
        let (train, test) = split(&candles, &w);
        assert_eq!((train.clone(), test.clone()), (0..2880, 2880..4320));
        assert!(candles[train.end - 1].close_time_ms < candles[test.start].open_time_ms);
    }
}
