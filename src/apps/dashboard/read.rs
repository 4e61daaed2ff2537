//! The dashboard's reads of the store (and of the bot's last price), with their caches: the
//! live view shared for [`LIVE_TTL`], the equity curve until a newer snapshot exists, and the
//! per-basket books of [`super::ledger`]. Every read is bounded: open orders and open baskets
//! only, the latest snapshots, one page of fills; never all orders or all fills.

use super::detail::{self, BasketDetail, HistoryFilter, HistoryView};
use super::format;
use super::ledger::{Book, Books, Ledger};
use super::pair::Pair;
use super::view::{self, BasketView, EquityPoint, LiveView, EQUITY_POINTS, LIVE_TTL};
use crate::apps::bot::BotMetrics;
use crate::apps::mode::Mode;
use crate::core::money::{Price, Quote};
use crate::ports::store::{AccountSnapshot, BasketRecord, FillQuery, Store, StoreError};
use std::sync::{Arc, Mutex};
use std::time::Instant;

type LiveCache = Arc<tokio::sync::Mutex<Option<(Instant, LiveView)>>>;
/// The equity curve and the time of the snapshot it ends at.
type EquityCache = Arc<Mutex<Option<(Option<i64>, Arc<Vec<EquityPoint>>)>>>;

/// Reads what the pages show; cheap to clone (the caches are shared).
pub struct Reader<S> {
    pub(super) store: Arc<S>,
    pub(super) mode: Mode,
    pub(super) pair: Arc<Pair>,
    pub(super) metrics: Arc<BotMetrics>,
    ledger: Ledger,
    live: LiveCache,
    equity: EquityCache,
}

impl<S> Clone for Reader<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            mode: self.mode,
            pair: self.pair.clone(),
            metrics: self.metrics.clone(),
            ledger: self.ledger.clone(),
            live: self.live.clone(),
            equity: self.equity.clone(),
        }
    }
}

impl<S> Reader<S> {
    /// A reader of `store` for `pair`.
    pub fn new(store: S, mode: Mode, pair: Pair) -> Self {
        Self {
            store: Arc::new(store),
            mode,
            ledger: Ledger::new(pair.base.clone(), pair.quote.clone()),
            pair: Arc::new(pair),
            metrics: Arc::new(BotMetrics::new()),
            live: Arc::new(tokio::sync::Mutex::new(None)),
            equity: Arc::new(Mutex::new(None)),
        }
    }

    /// Drops the cached live view (after an operator action).
    pub async fn invalidate_live(&self) {
        self.live.lock().await.take();
    }
}

impl<S: Store> Reader<S> {
    /// The price unrealised P&L is measured at: the bot's last read, else the latest
    /// snapshot's.
    pub async fn last_price(&self) -> Result<Option<Price>, StoreError> {
        if let Some(p) = self.metrics.last_price() {
            return Ok(Some(p));
        }
        Ok(self.store.snapshots(1).await?.first().map(|s| s.price))
    }

    /// The equity curve, reloaded only when a newer snapshot exists than the cached curve's.
    async fn equity(
        &self,
        latest: Option<&AccountSnapshot>,
    ) -> Result<Arc<Vec<EquityPoint>>, StoreError> {
        let key = latest.map(|s| s.time_ms);
        if let Some((k, curve)) = self
            .equity
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            if *k == key {
                return Ok(curve.clone());
            }
        }
        let curve: Arc<Vec<EquityPoint>> = Arc::new(
            self.store
                .snapshots(EQUITY_POINTS)
                .await?
                .iter()
                .map(|s| EquityPoint {
                    time_ms: s.time_ms,
                    value: format::quote(s.total_value),
                })
                .collect(),
        );
        *self.equity.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, curve.clone()));
        Ok(curve)
    }

    /// Everything the live part of `/` shows, at most [`LIVE_TTL`] old. One request computes
    /// it while concurrent ones wait for that result instead of querying the store again, so
    /// a burst of page loads costs one set of reads.
    pub async fn live_view(&self) -> Result<LiveView, StoreError> {
        let mut cached = self.live.lock().await;
        if let Some((at, view)) = cached.as_ref() {
            if at.elapsed() < LIVE_TTL {
                return Ok(view.clone());
            }
        }
        let view = self.read_live_view().await?;
        *cached = Some((Instant::now(), view.clone()));
        Ok(view)
    }

    async fn read_live_view(&self) -> Result<LiveView, StoreError> {
        let books = self.ledger.refresh(&*self.store).await?;
        let latest = self.store.snapshots(1).await?.pop();
        let last = match self.metrics.last_price() {
            Some(p) => Some(p),
            None => latest.as_ref().map(|s| s.price),
        };
        let equity = self.equity(latest.as_ref()).await?;
        let open = self.store.open_orders().await?;
        let records = self.store.open_baskets().await?;
        let precision = self.pair.precision();
        let baskets: Vec<BasketView> = records
            .iter()
            .filter(|r| r.symbol == self.pair.symbol)
            .map(|r| view::basket_view(r, &self.book(&books, r), &open, last, precision))
            .collect();
        let budget = self.budget(&records).await?;
        let unrealised = baskets.iter().map(|b| b.unrealised).sum();
        Ok(LiveView {
            mode: self.mode,
            symbol: self.pair.symbol.to_string(),
            last_price: last.map(|p| precision.price(p)),
            summary: view::summary(&books, unrealised, budget),
            open_orders: open
                .iter()
                .map(|o| view::open_row(o, last, precision))
                .collect(),
            baskets,
            balances: latest.map(|s| s.balances).unwrap_or_default(),
            equity: equity.to_vec(),
        })
    }

    fn book(&self, books: &Books, record: &BasketRecord) -> Arc<Book> {
        books.book(&record.basket, &self.ledger)
    }

    /// The newest basket's quote budget.
    async fn budget(&self, open: &[BasketRecord]) -> Result<Option<Quote>, StoreError> {
        if let Some(r) = open.first() {
            return Ok(Some(r.basket.config.quote_budget));
        }
        let newest = self.store.max_basket_id().await?;
        Ok(self
            .store
            .basket(newest)
            .await?
            .map(|r| r.basket.config.quote_budget))
    }

    /// One page of filled orders.
    pub async fn history_view(&self, filter: HistoryFilter) -> Result<HistoryView, StoreError> {
        let books = self.ledger.refresh(&*self.store).await?;
        let mut query = FillQuery {
            basket_id: filter.basket,
            side: filter.side,
            offset: 0,
            limit: 0,
        };
        let total = self.store.count_fills(&query).await?;
        let precision = self.pair.precision();
        query.offset = (filter.page - 1).saturating_mul(filter.per_page);
        query.limit = filter.per_page;
        let rows = self
            .store
            .fills(&query)
            .await?
            .into_iter()
            .map(|r| {
                let pnl = books.sell_pnl(r.basket_id, r.fill.trade_id);
                detail::fill_row(r.basket_id, &r.fill, pnl, precision)
            })
            .collect();
        Ok(HistoryView {
            filter,
            total,
            pages: total.div_ceil(filter.per_page).max(1),
            rows,
        })
    }

    /// One basket, or `None` when it does not exist.
    pub async fn basket_detail(&self, id: u32) -> Result<Option<BasketDetail>, StoreError> {
        let Some(record) = self.store.basket(id).await? else {
            return Ok(None);
        };
        let books = self.ledger.refresh(&*self.store).await?;
        let book = self.book(&books, &record);
        let last = self.last_price().await?;
        let orders = self.store.orders(id).await?;
        let fills = self.store.basket_fills(id).await?;
        Ok(Some(detail::basket_detail(
            &record,
            &book,
            &orders,
            &fills,
            last,
            self.pair.precision(),
        )))
    }
}
