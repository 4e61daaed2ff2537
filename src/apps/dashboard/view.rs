//! What the pages and `/api/state` show, read from the store (and the bot's last price):
//! open orders, open baskets, the profitability summary, balances and the equity curve.
//! Every read is bounded: open orders and open baskets only, the latest snapshots, and the
//! cached books of [`super::ledger`]; never all orders or all fills.

use super::ledger::{Book, Books};
use super::DashboardState;
use crate::apps::trade::Mode;
use crate::core::basket::BasketStatus;
use crate::core::fill::Balance;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::Side;
use crate::ports::store::{AccountSnapshot, BasketRecord, OrderRecord, Store, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::Arc;

/// How long a computed live view is served again: well below the page's 3 s refresh, so
/// every refresh sees fresh data, while a burst of requests shares one read of the store.
pub const LIVE_TTL: std::time::Duration = std::time::Duration::from_millis(500);

/// Most snapshots drawn on the equity curve.
pub const EQUITY_POINTS: u64 = 500;

/// The live part of the dashboard (`/api/state`).
#[derive(Debug, Clone, Serialize)]
pub struct LiveView {
    /// Where orders go.
    pub mode: Mode,
    /// The pair.
    pub symbol: String,
    /// Price used for unrealised P&L (the bot's last read, else the latest snapshot's).
    pub last_price: Option<Price>,
    /// How the bot hears from the exchange (streams up, or polling and why); `None` when it
    /// runs without streams.
    pub streams: Option<String>,
    /// Profitability.
    pub summary: Summary,
    /// Orders open on the exchange, oldest first.
    pub open_orders: Vec<OpenOrderRow>,
    /// Active and paused baskets, newest first.
    pub baskets: Vec<BasketView>,
    /// Balances of the latest account snapshot.
    pub balances: Vec<Balance>,
    /// Account value over time (latest snapshots, oldest first).
    pub equity: Vec<EquityPoint>,
}

/// Profitability summary.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Realised P&L of all sells of all baskets, net of quote commissions.
    pub realised: Quote,
    /// Unrealised P&L of the open baskets at the last price.
    pub unrealised: Quote,
    /// Realised + unrealised.
    pub combined: Quote,
    /// The quote budget ROI is measured against (the newest basket's).
    pub budget: Option<Quote>,
    /// Combined P&L in percent of the budget.
    pub roi_pct: Option<Decimal>,
    /// Sells (each realises P&L).
    pub trades: u64,
    /// Sells with a gain.
    pub wins: u64,
    /// Sells with a loss.
    pub losses: u64,
    /// Wins in percent of trades.
    pub win_rate_pct: Option<Decimal>,
    /// Average gain of a winning sell.
    pub avg_win: Option<Quote>,
    /// Average loss of a losing sell (negative).
    pub avg_loss: Option<Quote>,
}

/// One open order.
#[derive(Debug, Clone, Serialize)]
pub struct OpenOrderRow {
    /// Our client order id.
    pub client_id: String,
    /// The exchange's order id.
    pub order_id: u64,
    /// Basket.
    pub basket_id: u32,
    /// Slot (B1, TP1, …).
    pub slot: String,
    /// BUY / SELL.
    pub side: &'static str,
    /// LIMIT, TAKE_PROFIT_LIMIT, …
    pub order_type: &'static str,
    /// Limit price (or stop price when there is none).
    pub price: Option<Price>,
    /// Ordered quantity.
    pub qty: Qty,
    /// Executed so far.
    pub executed: Qty,
    /// The current price.
    pub current_price: Option<Price>,
    /// For a buy with an executed part: (current − price) × executed.
    pub unrealised: Option<Quote>,
}

/// One open basket.
#[derive(Debug, Clone, Serialize)]
pub struct BasketView {
    /// Id.
    pub id: u32,
    /// `active` or `error` (paused).
    pub status: &'static str,
    /// Why it is paused, if it is.
    pub reason: Option<String>,
    /// Anchor P0.
    pub anchor: Price,
    /// Buy levels with any fill.
    pub levels_filled: u16,
    /// Average entry of the open position.
    pub vwap: Option<Price>,
    /// Base held.
    pub position: Qty,
    /// Realised P&L so far.
    pub realised: Quote,
    /// Unrealised P&L at the last price.
    pub unrealised: Quote,
    /// Prices of the take-profit and trailing sells resting on the book.
    pub next_tp: Vec<(String, Price)>,
}

impl BasketView {
    /// True when the operator (or a risk rule) paused it.
    pub fn paused(&self) -> bool {
        self.status == BasketStatus::Error.as_str()
    }
}

/// One point of the equity curve.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EquityPoint {
    /// Unix ms.
    pub time_ms: i64,
    /// quote + base × price.
    pub value: Quote,
}

impl<S> DashboardState<S> {
    /// Drops the cached live view (after an operator action).
    pub(super) async fn invalidate_live(&self) {
        self.live.lock().await.take();
    }
}

impl<S: Store> DashboardState<S> {
    /// The price unrealised P&L is measured at.
    pub(super) async fn last_price(&self) -> Result<Option<Price>, StoreError> {
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
                    value: s.total_value,
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
        *cached = Some((std::time::Instant::now(), view.clone()));
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
        let baskets: Vec<BasketView> = records
            .iter()
            .filter(|r| r.symbol == self.pair.symbol)
            .map(|r| basket_view(r, &self.book(&books, r), &open, last))
            .collect();
        let budget = self.budget(&records).await?;
        let unrealised = baskets.iter().map(|b| b.unrealised).sum();
        Ok(LiveView {
            mode: self.mode,
            symbol: self.pair.symbol.to_string(),
            last_price: last,
            streams: self.metrics.stream_status(),
            summary: summary(&books, unrealised, budget),
            open_orders: open.iter().map(|o| open_row(o, last)).collect(),
            baskets,
            balances: latest.map(|s| s.balances).unwrap_or_default(),
            equity: equity.to_vec(),
        })
    }

    pub(super) fn book(&self, books: &Books, record: &BasketRecord) -> Arc<Book> {
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
}

/// The summary from the books' totals.
pub fn summary(books: &Books, unrealised: Quote, budget: Option<Quote>) -> Summary {
    let t = books.totals;
    let combined = t.realised + unrealised;
    let hundred = Decimal::ONE_HUNDRED;
    let ratio = |part: Decimal, whole: Decimal| {
        (!whole.is_zero()).then(|| (part * hundred / whole).round_dp(4).normalize())
    };
    let avg = |sum: Quote, n: u64| (n > 0).then(|| Quote::new(sum.get() / Decimal::from(n)));
    Summary {
        realised: t.realised,
        unrealised,
        combined,
        budget,
        roi_pct: budget.and_then(|b| ratio(combined.get(), b.get())),
        trades: t.trades,
        wins: t.wins,
        losses: t.losses,
        win_rate_pct: ratio(Decimal::from(t.wins), Decimal::from(t.trades)),
        avg_win: avg(t.won, t.wins),
        avg_loss: avg(t.lost, t.losses),
    }
}

/// A basket's row.
pub fn basket_view(
    record: &BasketRecord,
    book: &Book,
    open: &[OrderRecord],
    last: Option<Price>,
) -> BasketView {
    let b = &record.basket;
    let pos = &book.position;
    let next_tp = open
        .iter()
        .filter(|o| o.basket_id == b.id && o.report.side == Side::Sell)
        .filter_map(|o| {
            let price = o.report.spec.price.or(o.report.spec.stop_price)?;
            Some((o.slot.to_string(), price))
        })
        .collect();
    BasketView {
        id: b.id,
        status: b.status.as_str(),
        reason: record.reason.clone(),
        anchor: b.anchor,
        levels_filled: pos.depth(),
        vwap: pos.vwap(),
        position: pos.qty,
        realised: pos.realised_pnl,
        unrealised: last.map_or(Quote::ZERO, |p| pos.unrealised_pnl(p)),
        next_tp,
    }
}

/// An open order's row.
pub fn open_row(o: &OrderRecord, last: Option<Price>) -> OpenOrderRow {
    let r = &o.report;
    let price = r.spec.price.or(r.spec.stop_price);
    let unrealised = match (r.side, price, last) {
        (Side::Buy, Some(p), Some(now)) if r.executed_qty.is_positive() => {
            Some(now * r.executed_qty - p * r.executed_qty)
        }
        _ => None,
    };
    OpenOrderRow {
        client_id: r.client_id.to_string(),
        order_id: r.order_id,
        basket_id: o.basket_id,
        slot: o.slot.to_string(),
        side: r.side.as_str(),
        order_type: r.spec.order_type.as_str(),
        price,
        qty: r.spec.qty,
        executed: r.executed_qty,
        current_price: last,
        unrealised,
    }
}
