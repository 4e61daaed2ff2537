//! The candle feed and the server clock.
//!
//! Clock rule: the server's time is the *market time* — before any candle, the first candle's
//! open time; after candle k was fed, candle k's close time + 1 ms (the next candle's open) —
//! plus, in [`Speed::PerSecond`] mode only, the wall time since that candle was fed (capped at
//! 59 999 ms so time never passes the next candle's open), plus the fault clock skew. In
//! [`Speed::Manual`] and [`Speed::Max`] the clock is frozen between candles, so tests are
//! repeatable. An order placed at time t only sees candles opening at or after t (the
//! engine's no-look-ahead rule), i.e. the next candle fed.

use crate::adapters::klines::Candle;
use crate::core::symbol::Symbol;
use std::time::{Duration, Instant};

/// How fast candles are replayed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Only `POST /sim/step?n=…` feeds candles (tests).
    Manual,
    /// One candle every `period` of wall time; the clock ticks in between.
    PerSecond(Duration),
    /// As fast as possible, in batches.
    Max,
}

/// The candles of the replayed symbol and how far the replay got.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The replayed symbol.
    pub symbol: Symbol,
    candles: Vec<Candle>,
    next: usize,
    market_ms: i64,
    fed_at: Instant,
    ticking: bool,
}

impl Feed {
    /// A feed of `candles` (time-ordered) for `symbol`; `start_ms` is the clock when there are
    /// no candles at all.
    pub fn new(symbol: Symbol, candles: Vec<Candle>, speed: Speed, start_ms: i64) -> Self {
        let market_ms = candles.first().map_or(start_ms, |c| c.open_time_ms);
        Self {
            symbol,
            candles,
            next: 0,
            market_ms,
            fed_at: Instant::now(),
            ticking: matches!(speed, Speed::PerSecond(_)),
        }
    }

    /// Server time without skew, Unix ms.
    pub fn now_ms(&self) -> i64 {
        if !self.ticking {
            return self.market_ms;
        }
        let wall = i64::try_from(self.fed_at.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.market_ms + wall.min(59_999)
    }

    /// The next candle to feed, advancing the clock past it; `None` at the end.
    pub fn take_next(&mut self) -> Option<Candle> {
        let c = *self.candles.get(self.next)?;
        self.next += 1;
        self.market_ms = c.close_time_ms + 1;
        self.fed_at = Instant::now();
        Some(c)
    }

    /// Candles fed so far, oldest first.
    pub fn seen(&self) -> &[Candle] {
        &self.candles[..self.next]
    }

    /// Candles not fed yet.
    pub fn remaining(&self) -> usize {
        self.candles.len() - self.next
    }
}
