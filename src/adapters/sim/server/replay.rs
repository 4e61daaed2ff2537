//! The candle feed and the server clock, for one or several symbols.
//!
//! Two clocks (`.spec/exchange-sim.md`, "Replay and the clock"):
//! - **replay** ([`Speed::Manual`], [`Speed::PerSecond`], [`Speed::Max`]): server time is the
//!   *market time* — before any candle, the earliest first open; after a candle was fed, its
//!   close time + 1 ms — plus, in [`Speed::PerSecond`] only, the wall time since that candle
//!   (capped at 59 999 ms so time never passes the next open). Candles of several symbols are
//!   fed in open-time order. Manual and max freeze the clock between candles (repeatable tests).
//! - **live** ([`Speed::Live`]): server time is `start_ms` plus the wall time since start times
//!   the factor (1 = real time). Each symbol's candles are shifted by whole minutes so that the
//!   candle `history_ms` after its first one opens in the minute of `start_ms`; everything
//!   before it is history, fed at once. A candle is fed when its close time has passed, so a
//!   client never sees a candle before its minute is over.
//!
//! An order placed at time t only sees candles opening at or after t (the engine's no-look-ahead
//! rule).

use crate::adapters::klines::Candle;
use crate::core::symbol::Symbol;
use std::time::{Duration, Instant};

/// How fast candles are replayed, and which clock the server keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Replay clock; only `POST /sim/step?n=…` feeds candles (tests).
    Manual,
    /// Replay clock; one candle every `period` of wall time, the clock ticks in between.
    PerSecond(Duration),
    /// Replay clock; as fast as possible, in batches.
    Max,
    /// Live clock: wall-clock time at start, running `factor` times as fast as real time.
    Live {
        /// 1.0 = real time (a 1-minute candle per minute).
        factor: f64,
        /// How much of each symbol's data lies before "now" at start, ms.
        history_ms: i64,
    },
}

/// One symbol's candles and how far the replay got.
#[derive(Debug, Clone)]
struct Series {
    symbol: Symbol,
    candles: Vec<Candle>,
    next: usize,
}

/// The candles of every replayed symbol and the clock.
#[derive(Debug, Clone)]
pub struct Feed {
    series: Vec<Series>,
    speed: Speed,
    /// Replay: market time. Live: the start time.
    market_ms: i64,
    /// Replay: when the last candle was fed. Live: when the server started.
    fed_at: Instant,
}

const MINUTE_MS: i64 = 60_000;

/// `candles` shifted so that the first candle at or after `first open + history_ms` opens in
/// the minute of `start_ms` (by whole minutes, so candles stay on minute boundaries).
fn shift_to_start(mut candles: Vec<Candle>, start_ms: i64, history_ms: i64) -> Vec<Candle> {
    let Some(first) = candles.first() else {
        return candles;
    };
    let pivot_open = first.open_time_ms.saturating_add(history_ms.max(0));
    let pivot = candles
        .iter()
        .position(|c| c.open_time_ms >= pivot_open)
        .unwrap_or(candles.len() - 1);
    let now_minute = start_ms - start_ms.rem_euclid(MINUTE_MS);
    let open = candles[pivot].open_time_ms;
    let shift = now_minute - open;
    let shift = shift - shift.rem_euclid(MINUTE_MS);
    for c in &mut candles {
        c.open_time_ms += shift;
        c.close_time_ms += shift;
    }
    candles
}

impl Feed {
    /// A feed of `markets` (each time-ordered); `start_ms` is the clock when there are no
    /// candles (replay) or the wall-clock time at start (live).
    pub fn new(markets: Vec<(Symbol, Vec<Candle>)>, speed: Speed, start_ms: i64) -> Self {
        // A live factor that is not a positive number would stop or reverse time: real time.
        let speed = match speed {
            Speed::Live { factor, history_ms } if !(factor.is_finite() && factor > 0.0) => {
                Speed::Live {
                    factor: 1.0,
                    history_ms,
                }
            }
            other => other,
        };
        let series: Vec<Series> = markets
            .into_iter()
            .map(|(symbol, candles)| Series {
                symbol,
                candles: match speed {
                    Speed::Live { history_ms, .. } => shift_to_start(candles, start_ms, history_ms),
                    _ => candles,
                },
                next: 0,
            })
            .collect();
        let market_ms = match speed {
            Speed::Live { .. } => start_ms,
            _ => series
                .iter()
                .filter_map(|s| s.candles.first().map(|c| c.open_time_ms))
                .min()
                .unwrap_or(start_ms),
        };
        Self {
            series,
            speed,
            market_ms,
            fed_at: Instant::now(),
        }
    }

    fn wall_ms(&self) -> i64 {
        i64::try_from(self.fed_at.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// Server time without skew, Unix ms.
    pub fn now_ms(&self) -> i64 {
        match self.speed {
            Speed::Manual | Speed::Max => self.market_ms,
            Speed::PerSecond(_) => self.market_ms + self.wall_ms().min(59_999),
            Speed::Live { factor, .. } => {
                // Clock arithmetic, not money: f64 is exact far beyond a replay's length.
                self.market_ms + (self.wall_ms() as f64 * factor) as i64
            }
        }
    }

    /// Whether the server keeps the live (wall-clock) clock.
    pub fn is_live(&self) -> bool {
        matches!(self.speed, Speed::Live { .. })
    }

    /// Index of the series whose next candle comes first (by open time, then series order).
    fn earliest(&self) -> Option<usize> {
        self.series
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.candles.get(s.next).map(|c| (c.open_time_ms, i)))
            .min()
            .map(|(_, i)| i)
    }

    /// Open time of the next candle to feed (of any symbol), `None` when none is left.
    pub fn next_open_ms(&self) -> Option<i64> {
        let i = self.earliest()?;
        Some(self.series[i].candles[self.series[i].next].open_time_ms)
    }

    /// The next candle to feed and its symbol, advancing the clock past it (replay); in live
    /// mode only a candle whose close time has passed. `None` when there is none (yet).
    pub fn take_next(&mut self) -> Option<(Symbol, Candle)> {
        let i = self.earliest()?;
        let c = self.series[i].candles[self.series[i].next];
        if self.is_live() {
            if c.close_time_ms >= self.now_ms() {
                return None;
            }
        } else {
            self.market_ms = c.close_time_ms + 1;
            self.fed_at = Instant::now();
        }
        self.series[i].next += 1;
        Some((self.series[i].symbol.clone(), c))
    }

    /// Wall time until the next candle is due (live clock only; `None` when none is left).
    pub fn until_next_due(&self) -> Option<Duration> {
        let Speed::Live { factor, .. } = self.speed else {
            return None;
        };
        let i = self.earliest()?;
        let due = self.series[i].candles[self.series[i].next].close_time_ms + 1;
        let server_ms = (due - self.now_ms()).max(0) as f64;
        Some(Duration::from_secs_f64(server_ms / factor / 1000.0))
    }

    /// Candles of `symbol` fed so far, oldest first (empty for a symbol without candles).
    pub fn seen(&self, symbol: &Symbol) -> &[Candle] {
        self.series
            .iter()
            .find(|s| &s.symbol == symbol)
            .map_or(&[], |s| &s.candles[..s.next])
    }

    /// Candles not fed yet, all symbols.
    pub fn remaining(&self) -> usize {
        self.series.iter().map(|s| s.candles.len() - s.next).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::money::{Price, Qty};

    fn candle(open_ms: i64, price: i64) -> Candle {
        let p = Price::new(price.into());
        Candle {
            open_time_ms: open_ms,
            open: p,
            high: p,
            low: p,
            close: p,
            volume: Qty::new(1.into()),
            close_time_ms: open_ms + MINUTE_MS - 1,
        }
    }

    fn minutes(n: i64, from: i64) -> Vec<Candle> {
        (0..n)
            .map(|k| candle(from + k * MINUTE_MS, 10 + k))
            .collect()
    }

    #[test]
    fn live_shifts_the_history_before_now_and_feeds_only_closed_candles() {
        let start = 1_800_000_030_500; // 30.5 s into a minute
        let speed = Speed::Live {
            factor: 1.0,
            history_ms: 3 * MINUTE_MS,
        };
        let fil = Symbol::parse("FILUSDT").unwrap();
        let mut feed = Feed::new(
            vec![(fil.clone(), minutes(10, 1_680_307_200_000))],
            speed,
            start,
        );
        let mut fed = Vec::new();
        while let Some((s, c)) = feed.take_next() {
            assert_eq!(s, fil);
            fed.push(c);
        }
        // The 4th candle (3 minutes after the first) opens in the minute of `start`.
        assert_eq!(
            fed.len(),
            3,
            "the three history candles, not the current one"
        );
        assert_eq!(
            fed[2].close_time_ms + 1,
            start - start.rem_euclid(MINUTE_MS)
        );
        assert!(feed.now_ms() >= start && feed.now_ms() < start + 5_000);
        assert_eq!(feed.remaining(), 7);
        let wait = feed.until_next_due().unwrap();
        assert!(wait <= Duration::from_millis(29_500), "{wait:?}");
    }

    #[test]
    fn a_live_factor_that_is_not_positive_is_real_time() {
        for factor in [0.0, -2.0, f64::NAN] {
            let feed = Feed::new(
                vec![],
                Speed::Live {
                    factor,
                    history_ms: 0,
                },
                1_000,
            );
            assert!(feed.now_ms() >= 1_000 && feed.now_ms() < 60_000, "{factor}");
            assert_eq!(feed.until_next_due(), None);
        }
    }

    #[test]
    fn replay_feeds_several_symbols_in_open_time_order() {
        let (a, b) = (
            Symbol::parse("FILUSDT").unwrap(),
            Symbol::parse("NEARUSDT").unwrap(),
        );
        let t0 = 1_680_307_200_000;
        let mut feed = Feed::new(
            vec![
                (a.clone(), minutes(2, t0 + MINUTE_MS)),
                (b.clone(), minutes(2, t0)),
            ],
            Speed::Manual,
            0,
        );
        assert_eq!(feed.now_ms(), t0);
        let order: Vec<(Symbol, i64)> = std::iter::from_fn(|| feed.take_next())
            .map(|(s, c)| (s, c.open_time_ms))
            .collect();
        assert_eq!(
            order,
            vec![
                (b.clone(), t0),
                (a.clone(), t0 + MINUTE_MS),
                (b.clone(), t0 + MINUTE_MS),
                (a.clone(), t0 + 2 * MINUTE_MS),
            ]
        );
        assert_eq!(feed.now_ms(), t0 + 3 * MINUTE_MS);
        assert_eq!(feed.seen(&a).len(), 2);
    }
}
