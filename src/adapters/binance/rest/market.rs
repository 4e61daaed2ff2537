//! Reads: exchangeInfo (cached), tickers, klines, account, open orders, trades.

use super::{decode, unreadable, BinanceRest};
use crate::adapters::binance::endpoints::{self, Endpoint};
use crate::adapters::binance::parse;
use crate::adapters::binance::parse::OrderRow;
use crate::adapters::binance::rate_limit::LimitSpec;
use crate::adapters::binance::request::Params;
use crate::adapters::binance::transport::HttpTransport;
use crate::adapters::binance::wire;
use crate::adapters::klines::Candle;
use crate::core::filters::SymbolRules;
use crate::core::money::Price;
use crate::core::symbol::Symbol;
use crate::ports::exchange::{Account, BookTicker, ExchangeError, ExchangeTrade, Orders};
use std::sync::Arc;

impl<T: HttpTransport> BinanceRest<T> {
    /// exchangeInfo JSON for one symbol, cached for `exchange_info_ttl_ms`. Each fetch also
    /// loads the live `rateLimits` into the limiter.
    pub async fn exchange_info_json(&self, symbol: &Symbol) -> Result<Arc<str>, ExchangeError> {
        let now = self.local_now();
        if let Some((fetched, json)) = self.state().exchange_info.get(symbol.as_str()) {
            if now.saturating_sub(*fetched) < self.config.exchange_info_ttl_ms {
                return Ok(Arc::clone(json));
            }
        }
        self.refresh_exchange_info(symbol).await
    }

    /// Fetches exchangeInfo for `symbol` now (bypassing the cache).
    pub async fn refresh_exchange_info(&self, symbol: &Symbol) -> Result<Arc<str>, ExchangeError> {
        let params = Params::new().push("symbol", symbol.as_str());
        let resp = self.read(&endpoints::EXCHANGE_INFO, &params).await?;
        let limits: wire::ExchangeInfoLimits = decode(&resp, endpoints::EXCHANGE_INFO.path)?;
        let specs: Vec<LimitSpec> = limits
            .rate_limits
            .iter()
            .filter_map(LimitSpec::from_wire)
            .collect();
        let json: Arc<str> = Arc::from(resp.body.as_str());
        let now = self.local_now();
        let mut state = self.state();
        state.limiter.set_limits(&specs);
        state
            .exchange_info
            .insert(symbol.as_str().to_string(), (now, Arc::clone(&json)));
        Ok(json)
    }

    /// One symbol's rules through the configured [`super::RulesParser`].
    pub(super) async fn rules(&self, symbol: &Symbol) -> Result<SymbolRules, ExchangeError> {
        let json = self.exchange_info_json(symbol).await?;
        (self.rules_parser)(&json, symbol).map_err(|e| unreadable(endpoints::EXCHANGE_INFO.path, e))
    }

    pub(super) async fn last_price(&self, symbol: &Symbol) -> Result<Price, ExchangeError> {
        let params = Params::new().push("symbol", symbol.as_str());
        let w: wire::TickerPrice = self.read_json(&endpoints::TICKER_PRICE, &params).await?;
        parse::ticker_price(&w).map_err(|e| unreadable(endpoints::TICKER_PRICE.path, e))
    }

    pub(super) async fn best_bid_ask(&self, symbol: &Symbol) -> Result<BookTicker, ExchangeError> {
        let params = Params::new().push("symbol", symbol.as_str());
        let w: wire::BookTickerWire = self.read_json(&endpoints::BOOK_TICKER, &params).await?;
        parse::book_ticker(&w).map_err(|e| unreadable(endpoints::BOOK_TICKER.path, e))
    }

    /// Close of the one-minute kline holding `time_ms`. A minute not yet served (the moment is
    /// this minute, or the exchange lags) falls back to the last price: the nearest there is.
    pub(super) async fn minute_close(
        &self,
        symbol: &Symbol,
        time_ms: i64,
    ) -> Result<Price, ExchangeError> {
        let start = time_ms - time_ms.rem_euclid(60_000);
        let minute = self
            .klines(symbol, "1m", Some(start), Some(start + 59_999), Some(1))
            .await?;
        match minute.first() {
            Some(candle) if candle.open_time_ms == start => Ok(candle.close),
            _ => self.last_price(symbol).await,
        }
    }

    /// Closed one-minute candles ([`crate::ports::exchange::Exchange::closed_candles`]).
    ///
    /// The server time is read first (weight 1, beside the klines' 2): a candle whose close
    /// time is before it had closed when `klines` answered, whatever our clock's offset. The
    /// request's `endTime` (open times up to `now − 1 min`) leaves the open minute out, so
    /// `limit` rows are `limit` closed candles; rows closing at or after `now` are dropped
    /// all the same, should a server disagree.
    pub(super) async fn closed_minutes(
        &self,
        symbol: &Symbol,
        from_open_ms: Option<i64>,
        limit: u16,
    ) -> Result<Vec<Candle>, ExchangeError> {
        let time: wire::ServerTime = self.read_json(&endpoints::TIME, &Params::new()).await?;
        let now = time.server_time;
        let last_closed_open = now - 60_000;
        if from_open_ms.is_some_and(|from| from > last_closed_open) {
            // Nothing from there has closed yet (and `startTime` > `endTime` asks for nothing).
            return Ok(Vec::new());
        }
        let limit = limit.clamp(1, endpoints::KLINES_MAX_LIMIT);
        let mut rows = self
            .klines(
                symbol,
                "1m",
                from_open_ms,
                Some(last_closed_open),
                Some(limit),
            )
            .await?;
        rows.retain(|c| c.close_time_ms < now);
        Ok(rows)
    }

    /// Klines of `interval` (`1m`, `1h`, …), oldest first; `limit` at most 1000.
    pub async fn klines(
        &self,
        symbol: &Symbol,
        interval: &str,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        limit: Option<u16>,
    ) -> Result<Vec<Candle>, ExchangeError> {
        let params = Params::new()
            .push("symbol", symbol.as_str())
            .push("interval", interval)
            .push_opt("startTime", start_ms)
            .push_opt("endTime", end_ms)
            .push_opt("limit", limit);
        let rows: Vec<wire::Kline> = self.read_json(&endpoints::KLINES, &params).await?;
        rows.iter()
            .map(|k| parse::candle(k).map_err(|e| unreadable(endpoints::KLINES.path, e)))
            .collect()
    }

    pub(super) async fn account_info(&self) -> Result<Account, ExchangeError> {
        let params = Params::new().push("omitZeroBalances", "true");
        let w: wire::AccountWire = self.read_json(&endpoints::ACCOUNT, &params).await?;
        parse::account(&w).map_err(|e| unreadable(endpoints::ACCOUNT.path, e))
    }

    /// Maker/taker/tax rates and the BNB discount of one symbol.
    pub async fn account_commission(
        &self,
        symbol: &Symbol,
    ) -> Result<wire::AccountCommission, ExchangeError> {
        let params = Params::new().push("symbol", symbol.as_str());
        self.read_json(&endpoints::ACCOUNT_COMMISSION, &params)
            .await
    }

    pub(super) async fn open_orders_of(&self, symbol: &Symbol) -> Result<Orders, ExchangeError> {
        let params = Params::new().push("symbol", symbol.as_str());
        self.order_list(&endpoints::OPEN_ORDERS, params).await
    }

    /// The symbol's most recent orders of every status, at most 1000, oldest first.
    pub(super) async fn all_orders_recent(&self, symbol: &Symbol) -> Result<Orders, ExchangeError> {
        let params = Params::new()
            .push("symbol", symbol.as_str())
            .push("limit", 1000);
        self.order_list(&endpoints::ALL_ORDERS, params).await
    }

    /// The symbol's orders created in `[from_ms, to_ms]` (a window of at most 24 h), at most
    /// 1000, oldest first.
    pub(super) async fn all_orders_between(
        &self,
        symbol: &Symbol,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Orders, ExchangeError> {
        let params = Params::new()
            .push("symbol", symbol.as_str())
            .push("startTime", from_ms)
            .push("endTime", to_ms)
            .push("limit", 1000);
        self.order_list(&endpoints::ALL_ORDERS, params).await
    }

    /// A list of orders: ours (slots read from our client ids) and the foreign ones set
    /// aside. Only an unreadable order of ours fails the whole list.
    async fn order_list(
        &self,
        endpoint: &Endpoint,
        params: Params,
    ) -> Result<Orders, ExchangeError> {
        let rows: Vec<serde_json::Value> = self.read_json(endpoint, &params).await?;
        let mut orders = Orders::default();
        for row in &rows {
            match parse::order_row(row, &self.config.id_prefix)
                .map_err(|e| unreadable(endpoint.path, e))?
            {
                OrderRow::Ours(report) => orders.ours.push(report),
                OrderRow::Foreign(foreign) => orders.foreign.push(foreign),
            }
        }
        if !orders.foreign.is_empty() {
            tracing::debug!(
                path = endpoint.path,
                foreign = orders.foreign.len(),
                "orders that are not ours set aside"
            );
        }
        Ok(orders)
    }

    /// Our trades with id ≥ `from_id`, oldest first, at most 1000 (page with the last id + 1).
    pub(super) async fn trades_from(
        &self,
        symbol: &Symbol,
        from_id: u64,
    ) -> Result<Vec<ExchangeTrade>, ExchangeError> {
        let params = Params::new()
            .push("symbol", symbol.as_str())
            .push("fromId", from_id)
            .push("limit", 1000);
        let rows: Vec<wire::MyTrade> = self.read_json(&endpoints::MY_TRADES, &params).await?;
        rows.iter()
            .map(|w| parse::trade(w).map_err(|e| unreadable(endpoints::MY_TRADES.path, e)))
            .collect()
    }
}
