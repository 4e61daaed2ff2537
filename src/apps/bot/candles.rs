//! The live bot's candles: the last `capacity` closed one-minute candles of one symbol, what
//! the strategies' indicators read (`.spec/bot.md`, "Candles").
//!
//! Sources, all through the exchange port's [`Exchange::closed_candles`] (closed candles only,
//! oldest first) and the market stream's [`PriceUpdate::KlineClosed`]:
//! - **start** ([`CandleFeed::start`]): the most recent `capacity` candles over REST;
//! - **stream** ([`CandleFeed::on_closed`]): a closed kline that follows the last candle is
//!   appended; a repeat is ignored; an older one is refused; one that leaves a hole first heals
//!   the hole over REST from the last known open time;
//! - **gap** ([`CandleFeed::mark_gap`]): after a lost or reconnected market stream the next
//!   [`CandleFeed::poll`] reads REST from the last known open time;
//! - **polling** ([`CandleFeed::poll`]): one REST read once a new minute has closed (at most
//!   one read per server minute); while the kline stream is up, only when its kline is
//!   [`STREAM_GRACE_MS`] late.
//!
//! Invariant: the window is strictly increasing by open time, every candle closed, no
//! duplicate. Holes appear only where the exchange itself has no candle (a halt): REST is the
//! truth, so a streamed candle after a hole REST cannot fill yet waits for the next read.
//!
//! Every call returns [`Fresh`]: the candles just added, in order, for the caller to push into
//! its incremental indicators (`indicators.rs`); `reloaded` says the window was refilled from scratch (first
//! start, or a stream outage longer than the window) and the indicators must start over.

use crate::core::candle::Candle;
use crate::core::symbol::Symbol;
use crate::ports::events::PriceUpdate;
use crate::ports::exchange::{Exchange, ExchangeError};
use std::future::Future;

/// One minute, ms.
pub const MINUTE_MS: i64 = 60_000;

/// While the kline stream is up, how long after a minute's close the poll leaves it to the
/// stream before reading REST (Binance pushes the closed kline within about a second).
pub const STREAM_GRACE_MS: i64 = 5_000;

/// Most candles one REST read returns (`klines` `limit`).
const PAGE: usize = 1000;

/// Where closed one-minute candles come from over REST: the exchange port (a seam of its own
/// so the feed's rules are tested against a scripted source).
pub trait CandleSource: Send + Sync {
    /// [`Exchange::closed_candles`].
    fn closed_candles(
        &self,
        symbol: &Symbol,
        from_open_ms: Option<i64>,
        limit: u16,
    ) -> impl Future<Output = Result<Vec<Candle>, ExchangeError>> + Send;
}

impl<E: Exchange> CandleSource for E {
    fn closed_candles(
        &self,
        symbol: &Symbol,
        from_open_ms: Option<i64>,
        limit: u16,
    ) -> impl Future<Output = Result<Vec<Candle>, ExchangeError>> + Send {
        Exchange::closed_candles(self, symbol, from_open_ms, limit)
    }
}

/// What a call added to the window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fresh {
    /// The window was refilled from scratch: reset the indicators before pushing `candles`.
    pub reloaded: bool,
    /// The candles added, oldest first.
    pub candles: Vec<Candle>,
}

impl Fresh {
    /// `more` after `self`: a reload in `more` replaces what came before it.
    pub(crate) fn append(&mut self, more: Fresh) {
        if more.reloaded {
            *self = more;
        } else {
            self.candles.extend(more.candles);
        }
    }
}

/// How a streamed candle relates to the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// It follows the last candle by one minute (or the window was empty): appended.
    Appended,
    /// Same open time as a candle the window holds (the last, or an older one a REST read
    /// healed in before the stream delivered it late): ignored.
    Duplicate,
    /// Older than every candle of the window: refused, and said (it should not happen).
    OutOfOrder,
    /// Minutes are missing before it: REST must fill them first.
    Gap,
}

/// The closed one-minute candles of one symbol.
#[derive(Debug, Clone)]
pub struct CandleFeed {
    symbol: Symbol,
    capacity: usize,
    /// Oldest first; trimmed to `capacity` once it reaches twice that (amortised O(1)).
    candles: Vec<Candle>,
    started: bool,
    /// The market stream may have lost candles: the next poll reads REST.
    stale: bool,
    /// Server minute of the last REST read (polling reads at most once per minute).
    read_minute: Option<i64>,
    /// The kline stream is up: the poll waits [`STREAM_GRACE_MS`] for it.
    streaming: bool,
}

impl CandleFeed {
    /// A feed keeping the last `capacity` (at least 1) candles of `symbol`; empty until
    /// [`Self::start`].
    pub fn new(symbol: Symbol, capacity: usize) -> Self {
        Self {
            symbol,
            capacity: capacity.max(1),
            candles: Vec::new(),
            started: false,
            stale: false,
            read_minute: None,
            streaming: false,
        }
    }

    /// Whether closed klines arrive over the stream: while they do, the poll reads REST
    /// only when one is [`STREAM_GRACE_MS`] late.
    pub fn set_streaming(&mut self, up: bool) {
        self.streaming = up;
    }

    /// The pair.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// The last `capacity` candles, oldest first.
    pub fn window(&self) -> &[Candle] {
        &self.candles[self.candles.len().saturating_sub(self.capacity)..]
    }

    /// Open time of the newest candle.
    pub fn last_open_ms(&self) -> Option<i64> {
        self.candles.last().map(|c| c.open_time_ms)
    }

    /// Whether the next [`Self::poll`] reads REST whatever the time (after a stream gap).
    pub fn is_stale(&self) -> bool {
        self.stale || !self.started
    }

    /// The market stream lost or may have lost candles: heal over REST at the next poll.
    pub fn mark_gap(&mut self) {
        self.stale = true;
    }

    /// Where a streamed candle would go (no change).
    pub fn offer(&self, candle: &Candle) -> Offer {
        match self.candles.last() {
            None => Offer::Gap,
            Some(last) if candle.open_time_ms == last.open_time_ms => Offer::Duplicate,
            Some(last) if candle.open_time_ms < last.open_time_ms => {
                let held = self
                    .candles
                    .binary_search_by_key(&candle.open_time_ms, |c| c.open_time_ms)
                    .is_ok();
                if held {
                    Offer::Duplicate
                } else {
                    Offer::OutOfOrder
                }
            }
            Some(last) if candle.open_time_ms == last.open_time_ms + MINUTE_MS => Offer::Appended,
            Some(_) => Offer::Gap,
        }
    }

    /// Fills the window with the most recent `capacity` closed candles (several reads when it
    /// holds more than one read's 1000): the start, and the way back after a long outage.
    pub async fn start<S: CandleSource>(&mut self, source: &S) -> Result<Fresh, ExchangeError> {
        let first = self.capacity.min(PAGE);
        let mut rows = source
            .closed_candles(&self.symbol, None, page_limit(first))
            .await?;
        // Older pages, each read forward from where it must start, until the window is full.
        while rows.len() < self.capacity && rows.len() % PAGE == 0 && !rows.is_empty() {
            let oldest = rows[0].open_time_ms;
            let want = (self.capacity - rows.len()).min(PAGE);
            let from = oldest - MINUTE_MS * want as i64;
            let older = source
                .closed_candles(&self.symbol, Some(from), page_limit(want))
                .await?;
            let older: Vec<Candle> = older
                .into_iter()
                .filter(|c| c.open_time_ms < oldest)
                .collect();
            if older.is_empty() {
                break;
            }
            rows.splice(0..0, older);
        }
        self.candles.clear();
        self.started = true;
        self.stale = false;
        let fresh = self.accept_rest(rows);
        Ok(Fresh {
            reloaded: true,
            candles: fresh,
        })
    }

    /// A closed candle pushed by the stream ([`PriceUpdate::KlineClosed`] of this symbol):
    /// appended when it follows the last one; a hole before it is healed over REST first.
    pub async fn on_closed<S: CandleSource>(
        &mut self,
        source: &S,
        candle: Candle,
    ) -> Result<Fresh, ExchangeError> {
        if !self.started {
            return self.start(source).await;
        }
        match self.offer(&candle) {
            Offer::Appended => {
                self.push(candle);
                Ok(Fresh {
                    reloaded: false,
                    candles: vec![candle],
                })
            }
            Offer::Duplicate => Ok(Fresh::default()),
            Offer::OutOfOrder => {
                tracing::warn!(
                    symbol = %self.symbol,
                    open_ms = candle.open_time_ms,
                    last_open_ms = self.last_open_ms(),
                    "out-of-order candle refused"
                );
                Ok(Fresh::default())
            }
            Offer::Gap => {
                let mut fresh = self.heal(source).await?;
                if self.offer(&candle) == Offer::Appended {
                    self.push(candle);
                    fresh.candles.push(candle);
                } else if self.last_open_ms() < Some(candle.open_time_ms) {
                    // REST does not have the minutes before it yet: read again next poll.
                    self.stale = true;
                }
                Ok(fresh)
            }
        }
    }

    /// An event of the market stream: closed candles of this symbol go to
    /// [`Self::on_closed`]; everything else adds nothing.
    pub async fn on_price<S: CandleSource>(
        &mut self,
        source: &S,
        update: &PriceUpdate,
    ) -> Result<Fresh, ExchangeError> {
        match update {
            PriceUpdate::KlineClosed { symbol, candle } if *symbol == self.symbol => {
                self.on_closed(source, *candle).await
            }
            _ => Ok(Fresh::default()),
        }
    }

    /// Polling: reads REST when the feed is stale, or when a minute after the last candle has
    /// closed by `server_now_ms` and this server minute has not been read yet.
    pub async fn poll<S: CandleSource>(
        &mut self,
        source: &S,
        server_now_ms: i64,
    ) -> Result<Fresh, ExchangeError> {
        if !self.started {
            return self.start(source).await;
        }
        let minute = server_now_ms.div_euclid(MINUTE_MS);
        let grace = if self.streaming { STREAM_GRACE_MS } else { 0 };
        let due = self
            .last_open_ms()
            .is_none_or(|last| server_now_ms >= last + 2 * MINUTE_MS + grace);
        let read_now = self.stale || (due && self.read_minute != Some(minute));
        if !read_now {
            return Ok(Fresh::default());
        }
        self.read_minute = Some(minute);
        self.heal(source).await
    }

    /// Reads REST from the minute after the last candle, page by page; an outage longer than
    /// the window refills it from scratch instead.
    async fn heal<S: CandleSource>(&mut self, source: &S) -> Result<Fresh, ExchangeError> {
        let Some(last) = self.last_open_ms() else {
            return self.start(source).await;
        };
        let mut from = last + MINUTE_MS;
        let mut fresh = Fresh::default();
        loop {
            let rows = source
                .closed_candles(&self.symbol, Some(from), page_limit(PAGE))
                .await?;
            let full = rows.len() == PAGE;
            fresh.append(Fresh {
                reloaded: false,
                candles: self.accept_rest(rows),
            });
            if !full {
                break;
            }
            if fresh.candles.len() > self.capacity {
                // The window is all new: the most recent reads are enough.
                let restart = self.start(source).await?;
                fresh.append(restart);
                break;
            }
            from = self.last_open_ms().unwrap_or(from) + MINUTE_MS;
        }
        self.stale = false;
        Ok(fresh)
    }

    /// Appends REST rows newer than the last candle (REST is the truth: a hole between them
    /// is a minute the exchange has no candle for); the ones appended.
    fn accept_rest(&mut self, rows: Vec<Candle>) -> Vec<Candle> {
        let mut added = Vec::with_capacity(rows.len());
        for c in rows {
            if self.last_open_ms().is_none_or(|last| c.open_time_ms > last) {
                self.push(c);
                added.push(c);
            }
        }
        added
    }

    fn push(&mut self, candle: Candle) {
        self.candles.push(candle);
        if self.candles.len() >= 2 * self.capacity {
            let excess = self.candles.len() - self.capacity;
            self.candles.drain(..excess);
        }
    }
}

impl<E: Exchange, S: crate::ports::store::Store> super::Bot<E, S> {
    /// The closed one-minute candles kept for the strategy, oldest first; `None` when the
    /// settings keep none ([`super::BotSettings::candle_window`]).
    pub fn candles(&self) -> Option<&[Candle]> {
        self.candles.as_ref().map(CandleFeed::window)
    }

    /// A step's candle read: the start, a stream gap's heal, or the once-a-minute poll.
    pub(super) async fn poll_candles(&mut self, server_now_ms: i64) -> Result<(), ExchangeError> {
        let Some(feed) = self.candles.as_mut() else {
            return Ok(());
        };
        let fresh = feed.poll(&self.exchange, server_now_ms).await?;
        self.fresh_candles.append(fresh);
        Ok(())
    }

    /// A closed kline pushed by the market stream. A failed heal leaves the feed stale: the
    /// next step reads REST again.
    pub(crate) async fn push_streamed_candle(&mut self, update: &PriceUpdate) {
        let Some(feed) = self.candles.as_mut() else {
            return;
        };
        match feed.on_price(&self.exchange, update).await {
            Ok(fresh) => self.fresh_candles.append(fresh),
            Err(e) => {
                feed.mark_gap();
                tracing::warn!(error = %e, "candle heal failed; the next step reads again");
            }
        }
    }

    /// The market stream changed: lost or possibly lost klines (`Gap`, `Down`) make the
    /// next step heal over REST; while it is up the poll leaves closes to it.
    pub(crate) fn candle_stream(&mut self, state: &crate::ports::events::StreamState) {
        use crate::ports::events::StreamState;
        if let Some(feed) = self.candles.as_mut() {
            feed.set_streaming(!matches!(state, StreamState::Down { .. }));
            if !matches!(state, StreamState::Up) {
                feed.mark_gap();
            }
        }
    }
}

fn page_limit(n: usize) -> u16 {
    u16::try_from(n.clamp(1, PAGE)).unwrap_or(1000)
}

#[cfg(test)]
mod tests;
