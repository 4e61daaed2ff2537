//! The grids' candles: one [`CandleFeed`] per symbol whose grids read indicators, however
//! many grids trade it (`.spec/portfolio.md`, "Indicators"). The loop polls each symbol's
//! feed once and hands the candles it added to every grid on that symbol; each grid's bot
//! feeds its own indicators from them at its step (`apps::bot::indicators`). The window is
//! the longest any of the symbol's grids needs.

use crate::apps::bot::candles::{CandleFeed, Fresh};
use crate::apps::bot::indicators::candle_window;
use crate::core::strategy::config::StrategyConfig;
use crate::core::symbol::Symbol;
use crate::ports::events::{PriceUpdate, StreamState};
use crate::ports::exchange::Exchange;
use std::collections::BTreeMap;

/// The feeds, by symbol.
#[derive(Debug, Default)]
pub(super) struct SymbolCandles {
    feeds: BTreeMap<Symbol, CandleFeed>,
}

impl SymbolCandles {
    /// A feed for each symbol at least one of `strategies` reads indicators on.
    pub(super) fn new<'a>(strategies: impl IntoIterator<Item = &'a StrategyConfig>) -> Self {
        let mut windows: BTreeMap<Symbol, usize> = BTreeMap::new();
        for s in strategies {
            let n = candle_window(s);
            if n > 0 {
                let w = windows.entry(s.symbol.clone()).or_default();
                *w = (*w).max(n);
            }
        }
        Self {
            feeds: windows
                .into_iter()
                .map(|(symbol, n)| (symbol.clone(), CandleFeed::new(symbol, n)))
                .collect(),
        }
    }

    /// One read per symbol when due (`CandleFeed::poll`): the candles each symbol added. A
    /// failed read is logged and left for the next loop (the feed stays stale).
    pub(super) async fn poll<E: Exchange>(
        &mut self,
        exchange: &E,
        server_now_ms: i64,
    ) -> Vec<(Symbol, Fresh)> {
        let mut out = Vec::new();
        for (symbol, feed) in &mut self.feeds {
            match feed.poll(exchange, server_now_ms).await {
                Ok(fresh) => out.push((symbol.clone(), fresh)),
                Err(e) => {
                    feed.mark_gap();
                    tracing::warn!(%symbol, error = %e, "candle read failed; the next loop reads again");
                }
            }
        }
        out
    }

    /// A market-stream event: a closed kline goes to its symbol's feed; the candles added.
    pub(super) async fn on_price<E: Exchange>(
        &mut self,
        exchange: &E,
        update: &PriceUpdate,
    ) -> Option<(Symbol, Fresh)> {
        let feed = self.feeds.get_mut(update.symbol())?;
        match feed.on_price(exchange, update).await {
            Ok(fresh) => Some((update.symbol().clone(), fresh)),
            Err(e) => {
                feed.mark_gap();
                tracing::warn!(error = %e, "candle heal failed; the next loop reads again");
                None
            }
        }
    }

    /// The market stream changed (as the single bot's `candle_stream`).
    pub(super) fn on_stream(&mut self, state: &StreamState) {
        for feed in self.feeds.values_mut() {
            feed.set_streaming(!matches!(state, StreamState::Down { .. }));
            if !matches!(state, StreamState::Up) {
                feed.mark_gap();
            }
        }
    }
}
