//! Seeds the portfolio's correlation from the exchange's closed candles, so a restart (or a
//! loop that missed whole return buckets) does not fall back to a day of warming
//! (`.spec/portfolio.md`, "Correlation", "Seeding").
//!
//! Decisions:
//! - Source: [`Exchange::closed_candles`], one-minute candles, read forward in pages of 1000
//!   over the window plus one bucket (the first return needs the close before it). The port
//!   has one-minute candles only, and `return_minutes` may be anything from 1 to 1440, so
//!   minutes serve every bucket. Cost for the default 7 days of 60-minute returns: 11 pages a
//!   symbol, each `klines` (weight 2) plus the server time (weight 1), 33 weight a symbol —
//!   330 for ten grids, once at the start, against the account's 6000 a minute.
//! - Each candle's close is fed at its close time, all symbols merged in time order: the
//!   backtest's feed, so a seeded matrix is the one the backtest would have at that moment.
//! - Short history (a listing younger than the window, a halt) seeds what there is: a pair
//!   with fewer than `min_returns` joint returns stays warming (counted as correlated).
//! - A failed seed is logged and the loop carries on warming; it is retried at the next
//!   loop, at most once a minute.
//! - Re-seeding replaces the tracker: everything the loop observed is in the candles too.

use super::orchestrator::Portfolio;
use crate::core::candle::Candle;
use crate::core::correlation::CorrelationTracker;
use crate::core::symbol::Symbol;
use crate::ports::exchange::{Exchange, ExchangeError};
use crate::ports::store::Store;

/// Most candles one `klines` read returns.
const PAGE: u16 = 1000;
/// One minute, ms.
const MINUTE_MS: i64 = 60_000;

/// When the correlation was last fed and last seeded.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SeedState {
    /// Server time of the last price the loop fed.
    last_fed_ms: Option<i64>,
    /// Server time of the last seeding attempt (throttles retries).
    last_try_ms: Option<i64>,
}

impl<E: Exchange, S: Store> Portfolio<E, S> {
    /// Seeds the correlation when it has never been fed in this process, or when the loop
    /// missed at least one whole return bucket since it last fed it; then marks `now` fed.
    /// True when it seeded (the matrix changed).
    pub(super) async fn keep_correlation_seeded(&mut self, now: i64) -> bool {
        let window = self.correlation.window();
        let bucket = |t: i64| t.div_euclid(window.return_ms);
        let due = match self.correlation_seed.last_fed_ms {
            None => true,
            Some(last) => bucket(now) - bucket(last) > 1,
        };
        let throttled = self
            .correlation_seed
            .last_try_ms
            .is_some_and(|t| now - t < MINUTE_MS);
        let (fed, seeded) = if !due {
            (true, false)
        } else if throttled {
            (false, false)
        } else {
            self.correlation_seed.last_try_ms = Some(now);
            match seeded_tracker(&self.exchange, &self.symbols(), window, now).await {
                Ok(tracker) => {
                    self.correlation = tracker;
                    (true, true)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "seeding the correlation from candles failed; it warms up and is retried");
                    (false, false)
                }
            }
        };
        // Until a seed succeeds the loop stays due, so the next try comes within a minute.
        if fed {
            self.correlation_seed.last_fed_ms = Some(now);
        }
        seeded
    }
}

/// A tracker over `window` fed every symbol's closed candles of the window before `now`.
pub(super) async fn seeded_tracker<E: Exchange>(
    exchange: &E,
    symbols: &[Symbol],
    window: crate::core::correlation::CorrelationWindow,
    now: i64,
) -> Result<CorrelationTracker, ExchangeError> {
    let span = window.return_ms * (window.window_returns as i64 + 1);
    let from = (now - span).div_euclid(window.return_ms) * window.return_ms;
    let mut prices = Vec::new();
    for symbol in symbols {
        for c in window_candles(exchange, symbol, from, now).await? {
            prices.push((c.close_time_ms, symbol.clone(), c.close));
        }
    }
    prices.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut tracker = CorrelationTracker::new(window, symbols.iter().cloned());
    for (time, symbol, price) in prices {
        tracker.observe(&symbol, time, price);
    }
    Ok(tracker)
}

/// `symbol`'s closed one-minute candles opening from `from` to before `now`, page by page.
async fn window_candles<E: Exchange>(
    exchange: &E,
    symbol: &Symbol,
    from: i64,
    now: i64,
) -> Result<Vec<Candle>, ExchangeError> {
    let mut out: Vec<Candle> = Vec::new();
    let mut next = from;
    loop {
        let page = exchange.closed_candles(symbol, Some(next), PAGE).await?;
        let full = page.len() == usize::from(PAGE);
        let Some(last) = page.last().map(|c| c.open_time_ms) else {
            break;
        };
        out.extend(page.into_iter().filter(|c| c.close_time_ms < now));
        next = last + MINUTE_MS;
        if !full || next >= now {
            break;
        }
    }
    Ok(out)
}
