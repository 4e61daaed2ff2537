//! The dashboard's reads of the store (and of the bot's last price), with their caches: the
//! live view shared for [`LIVE_TTL`] and numbered by its content ([`Live::generation`]), the
//! equity curve until a newer snapshot exists, and the per-basket books of [`super::ledger`]. Every read is bounded: open orders and open baskets
//! only, the latest snapshots, one page of fills; never all orders or all fills.

use super::chart::{self, ChartView, Range};
use super::detail::{self, BasketDetail, HistoryFilter, HistoryParams, HistoryView};
use super::format;
use super::grids::Grids;
use super::journal::{self, BasketRow};
use super::ledger::{Book, Books, Ledger, Pairs};
use super::market::Candles;
use super::pair::Pair;
use super::stats::{self, StatsView};
use super::view::{
    self, BasketView, DeliveryRow, EquityPoint, LiveView, DELIVERIES_SHOWN, EQUITY_POINTS, LIVE_TTL,
};
use crate::apps::bot::BotMetrics;
use crate::apps::mode::Mode;
use crate::core::fill::Fill;
use crate::core::money::{Price, Quote};
use crate::core::symbol::Symbol;
use crate::ports::store::{
    AccountSnapshot, BasketRecord, FillQuery, FillRecord, Store, StoreError,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Most fills one export (or journal page) reads.
pub const EXPORT_MAX: u64 = 1_000_000;

type LiveCache = Arc<tokio::sync::Mutex<LiveSlot>>;

/// The live part of `/` as read at one moment, numbered by its content.
#[derive(Debug)]
pub struct Live {
    /// Equal for two reads exactly when their content (view and deliveries, as JSON, so even
    /// a decimal's scale counts) is equal; grows with every change. Anything rendered from a
    /// `Live` may be cached under its generation: a changed state never has an old number.
    pub generation: u64,
    /// Orders, baskets, P&L, balances, equity (`/api/state`).
    pub view: LiveView,
    /// The last notification deliveries, newest first.
    pub deliveries: Vec<DeliveryRow>,
}

/// The shared live read: the current one with its time, and the content of the last one
/// with its generation (kept across [`Reader::invalidate_live`], to number the next read).
#[derive(Default)]
pub(super) struct LiveSlot {
    fresh: Option<(Instant, Arc<Live>)>,
    last: Option<(Vec<u8>, u64)>,
}

impl LiveSlot {
    /// The generation of a read with `content`: the last one when nothing changed, else the
    /// next.
    fn number(&mut self, content: Vec<u8>) -> u64 {
        let generation = match &self.last {
            Some((before, g)) if *before == content => *g,
            Some((_, g)) => g + 1,
            None => 1,
        };
        self.last = Some((content, generation));
        generation
    }
}
/// What the latest snapshots say: the equity curve, and each symbol's latest price (a
/// portfolio's grids each write snapshots at their own symbol's price).
#[derive(Debug, Default)]
pub struct Recent {
    /// The equity curve (latest [`EQUITY_POINTS`] snapshots, oldest first).
    pub equity: Vec<EquityPoint>,
    /// The latest snapshot's price of each symbol among them.
    pub prices: BTreeMap<Symbol, Price>,
}

/// [`Recent`] and the time of the snapshot it ends at.
type EquityCache = Arc<Mutex<Option<(Option<i64>, Arc<Recent>)>>>;

/// Reads what the pages show; cheap to clone (the caches are shared).
pub struct Reader<S> {
    pub(super) store: Arc<S>,
    pub(super) mode: Mode,
    pub(super) pair: Arc<Pair>,
    pub(super) metrics: Arc<BotMetrics>,
    pub(super) candles: Candles,
    pub(super) grids: Arc<Grids>,
    pub(super) ledger: Ledger,
    pub(super) newest: NewestCache,
    live: LiveCache,
    equity: EquityCache,
}

/// Where a page takes its pair's price from.
#[derive(Debug, Clone, Copy)]
pub(super) enum PriceSource {
    /// The bot's last read, else the latest snapshot (the single bot: one symbol).
    Bot,
    /// Already known: a portfolio grid's own latest snapshot (the bot's last read may be
    /// another grid's symbol).
    Known(Option<Price>),
}

/// The newest basket's status of each symbol, with what it was read at: the highest basket
/// id and the open baskets' ids. A closed basket's status never changes again, so while
/// neither changes the map is still right (no scan of all baskets per request).
pub(super) type NewestCache = Arc<
    Mutex<
        Option<(
            (u32, Vec<u32>),
            Arc<
                BTreeMap<
                    (Symbol, crate::core::client_id::IdPrefix),
                    crate::core::basket::BasketStatus,
                >,
            >,
        )>,
    >,
>;

impl<S> Clone for Reader<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            mode: self.mode,
            pair: self.pair.clone(),
            metrics: self.metrics.clone(),
            candles: self.candles.clone(),
            grids: self.grids.clone(),
            ledger: self.ledger.clone(),
            newest: self.newest.clone(),
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
            ledger: Ledger::new(Pairs::one(
                pair.symbol.clone(),
                pair.base.clone(),
                pair.quote.clone(),
            )),
            pair: Arc::new(pair),
            metrics: Arc::new(BotMetrics::new()),
            candles: Candles::default(),
            grids: Arc::default(),
            newest: NewestCache::default(),
            live: LiveCache::default(),
            equity: Arc::new(Mutex::new(None)),
        }
    }

    /// Drops the cached live view (after an operator action).
    pub async fn invalidate_live(&self) {
        self.live.lock().await.fresh = None;
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

    /// The grids of a portfolio: the ledger books each basket by its grid's pair.
    pub fn set_grids(&mut self, grids: Grids) {
        self.ledger = Ledger::new(grids.pairs(&self.pair));
        self.grids = Arc::new(grids);
    }

    /// The equity curve and each symbol's latest price, reloaded only when a newer snapshot
    /// exists than the cached one's.
    pub(super) async fn recent(
        &self,
        latest: Option<&AccountSnapshot>,
    ) -> Result<Arc<Recent>, StoreError> {
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
        let snapshots = self.store.snapshots(EQUITY_POINTS).await?;
        let curve = Arc::new(Recent {
            equity: snapshots
                .iter()
                .map(|s| EquityPoint {
                    time_ms: s.time_ms,
                    value: format::quote(s.total_value),
                })
                .collect(),
            prices: snapshots
                .iter()
                .map(|s| (s.symbol.clone(), s.price))
                .collect(),
        });
        *self.equity.lock().unwrap_or_else(|e| e.into_inner()) = Some((key, curve.clone()));
        Ok(curve)
    }

    /// Everything the live part of `/` shows, at most [`LIVE_TTL`] old. One request computes
    /// it while concurrent ones wait for that result instead of querying the store again, so
    /// a burst of page loads costs one set of reads.
    pub async fn live(&self) -> Result<Arc<Live>, StoreError> {
        let mut slot = self.live.lock().await;
        if let Some((at, live)) = slot.fresh.as_ref() {
            if at.elapsed() < LIVE_TTL {
                return Ok(live.clone());
            }
        }
        let view = self.read_live_view().await?;
        let deliveries: Vec<DeliveryRow> = self
            .store
            .notification_deliveries(DELIVERIES_SHOWN)
            .await?
            .into_iter()
            .map(view::delivery_row)
            .collect();
        let content = serde_json::to_vec(&(&view, &deliveries)).unwrap_or_default();
        let live = Arc::new(Live {
            generation: slot.number(content),
            view,
            deliveries,
        });
        slot.fresh = Some((Instant::now(), live.clone()));
        Ok(live)
    }

    /// The live view alone (see [`Self::live`]).
    pub async fn live_view(&self) -> Result<LiveView, StoreError> {
        Ok(self.live().await?.view.clone())
    }

    async fn read_live_view(&self) -> Result<LiveView, StoreError> {
        let books = self.ledger.refresh(&*self.store).await?;
        let latest = self.store.snapshots(1).await?.pop();
        let last = match self.metrics.last_price() {
            Some(p) => Some(p),
            None => latest.as_ref().map(|s| s.price),
        };
        let recent = self.recent(latest.as_ref()).await?;
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
            streams: self.metrics.stream_status(),
            summary: view::summary(&books, unrealised, budget),
            open_orders: open
                .iter()
                .map(|o| view::open_row(o, last, precision))
                .collect(),
            baskets,
            balances: latest.map(|s| s.balances).unwrap_or_default(),
            equity: recent.equity.clone(),
        })
    }

    fn book(&self, books: &Books, record: &BasketRecord) -> Arc<Book> {
        books.book(record, &self.ledger)
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
        let mut query = filter.query();
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
            pages: total.div_ceil(filter.per_page).max(1),
            filter,
            total,
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
        let precision = self.pair.precision();
        let mut detail = detail::basket_detail(&record, &book, &orders, &fills, last, precision);
        detail.timeline = journal::timeline(&record, &fills, precision);
        detail.note = self.store.basket_note(id).await?;
        let assets = (&self.pair.base, &self.pair.quote);
        detail.fees = format::quote(
            fills
                .iter()
                .filter_map(|f| journal::fee_in_quote(f, assets.0, assets.1))
                .sum(),
        );
        Ok(Some(detail))
    }

    /// The price chart of `range`: candles, and the newest open basket of the pair with its
    /// levels and fills. Candles that cannot be read leave the chart empty with the reason.
    pub async fn chart_view(&self, range: Range) -> Result<ChartView, StoreError> {
        let pair = self.pair.clone();
        self.chart_of(&pair, PriceSource::Bot, range).await
    }

    /// [`Self::chart_view`] of `pair` with its price from `source` (else the newest candle's
    /// close).
    pub(super) async fn chart_of(
        &self,
        pair: &Pair,
        source: PriceSource,
        range: Range,
    ) -> Result<ChartView, StoreError> {
        let precision = pair.precision();
        let basket = self
            .store
            .open_baskets()
            .await?
            .into_iter()
            .find(|r| r.symbol == pair.symbol);
        let fills = match &basket {
            Some(record) => self.store.basket_fills(record.basket.id).await?,
            None => Vec::new(),
        };
        let step = range.interval_ms();
        let need = fills
            .iter()
            .map(|f| f.time_ms - f.time_ms.rem_euclid(step))
            .max();
        let fetched = self.candles.get(&pair.symbol, range, need).await;
        let (raw, candles_error) = match fetched.as_ref() {
            Ok(c) => (c.as_slice(), None),
            Err(e) => (&[][..], Some(format!("no candles: {e}"))),
        };
        let mut lines = Vec::new();
        let mut markers = Vec::new();
        if let Some(record) = &basket {
            let last = match source {
                PriceSource::Bot => self.last_price().await?,
                PriceSource::Known(p) => p,
            };
            let last = last.or_else(|| raw.last().map(|c| c.close));
            if let (Some(rules), Some(last)) = (&pair.rules, last) {
                let open = self.store.open_orders().await?;
                lines = chart::lines(&record.basket, &fills, &open, last, rules, precision);
            }
            markers = chart::markers(&fills, range, precision);
        }
        Ok(ChartView {
            symbol: pair.symbol.to_string(),
            range,
            interval: range.interval().0,
            price_dp: precision.price_dp,
            candles: chart::candles(raw, precision),
            basket_id: basket.map(|r| r.basket.id),
            lines,
            markers,
            candles_error,
        })
    }

    /// The journal's baskets of `filter` (symbol, opened within the dates, one basket),
    /// newest first, with fees, realised P&L and notes. Reads every fill of the matching
    /// symbol once (a journal page, not the live page).
    pub async fn journal_baskets(
        &self,
        filter: &HistoryFilter,
    ) -> Result<Vec<BasketRow>, StoreError> {
        let books = self.ledger.refresh(&*self.store).await?;
        let notes = self.store.basket_notes().await?;
        let all = FillQuery {
            symbol: filter.symbol.clone(),
            basket_id: filter.basket,
            limit: EXPORT_MAX,
            ..FillQuery::default()
        };
        let mut fills: BTreeMap<u32, Vec<Fill>> = BTreeMap::new();
        for r in self.store.fills(&all).await? {
            fills.entry(r.basket_id).or_default().push(r.fill);
        }
        let precision = self.pair.precision();
        let assets = (&self.pair.base, &self.pair.quote);
        Ok(self
            .store
            .baskets(false)
            .await?
            .into_iter()
            .filter(|r| filter.symbol.as_ref().is_none_or(|s| *s == r.symbol))
            .filter(|r| filter.basket.is_none_or(|b| b == r.basket.id))
            .filter(|r| filter.from_ms.is_none_or(|t| r.basket.created_ms >= t))
            .filter(|r| filter.to_ms.is_none_or(|t| r.basket.created_ms < t))
            .map(|r| {
                let own = fills.remove(&r.basket.id).unwrap_or_default();
                let book = self.book(&books, &r);
                let note = notes.get(&r.basket.id).cloned();
                journal::basket_row(&r, &book, &own, note, assets, precision)
            })
            .collect())
    }

    /// Every fill of `filter` (no pages, at most [`EXPORT_MAX`]), newest first, with the
    /// realised P&L of each sell: the CSV export.
    pub async fn journal_fills(
        &self,
        filter: &HistoryFilter,
    ) -> Result<Vec<(FillRecord, Option<Quote>)>, StoreError> {
        let books = self.ledger.refresh(&*self.store).await?;
        let mut query = filter.query();
        query.limit = EXPORT_MAX;
        Ok(self
            .store
            .fills(&query)
            .await?
            .into_iter()
            .map(|r| {
                let pnl = books.sell_pnl(r.basket_id, r.fill.trade_id);
                (r, pnl)
            })
            .collect())
    }

    /// Writes the operator's note on basket `id`; `Ok(false)` when there is no such basket.
    pub async fn set_note(&self, id: u32, text: &str, now_ms: i64) -> Result<bool, StoreError> {
        if self.store.basket(id).await?.is_none() {
            return Ok(false);
        }
        self.store.set_basket_note(id, text, now_ms).await?;
        Ok(true)
    }

    /// The `/stats` page: equity and drawdown (latest snapshots), realised P&L per day and
    /// per basket, realised, unrealised and fees. Reads every sell once.
    pub async fn stats_view(&self) -> Result<StatsView, StoreError> {
        let live = self.live_view().await?;
        let books = self.ledger.refresh(&*self.store).await?;
        let sells = FillQuery {
            side: Some(crate::core::order::Side::Sell),
            limit: EXPORT_MAX,
            ..FillQuery::default()
        };
        let sells: Vec<(i64, Quote)> = self
            .store
            .fills(&sells)
            .await?
            .iter()
            .filter_map(|r| {
                let pnl = books.sell_pnl(r.basket_id, r.fill.trade_id)?;
                Some((r.fill.time_ms, pnl))
            })
            .collect();
        let everything = HistoryParams::default()
            .filter()
            .map_err(StoreError::Corrupt)?;
        let baskets = self.journal_baskets(&everything).await?;
        let (equity, drawdown, max_drawdown_pct) = stats::equity_and_drawdown(&live.equity);
        Ok(StatsView {
            equity,
            drawdown,
            max_drawdown_pct,
            daily: stats::daily(&sells),
            per_basket: stats::per_basket(&baskets),
            realised: live.summary.realised,
            unrealised: live.summary.unrealised,
            fees: format::quote(baskets.iter().map(|b| b.fees).sum()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generation_changes_with_the_content_and_only_grows() {
        let mut slot = LiveSlot::default();
        assert_eq!(slot.number(b"a".to_vec()), 1);
        assert_eq!(slot.number(b"a".to_vec()), 1, "same content, same number");
        assert_eq!(slot.number(b"b".to_vec()), 2);
        assert_eq!(
            slot.number(b"a".to_vec()),
            3,
            "back to old content: a new number"
        );
        // A decimal's scale is content too (`1.0` and `1.00` print differently).
        let json = |d: &str| serde_json::to_vec(&d.parse::<rust_decimal::Decimal>().unwrap());
        assert_ne!(json("1.0").unwrap(), json("1.00").unwrap());
    }
}
