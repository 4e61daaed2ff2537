//! What the live part of `/` and `/api/state` show: open orders, open baskets, the
//! profitability summary, balances and the equity curve, built from records the reader
//! ([`super::read`]) fetched. Pure: no store, no clock.

use super::format::{self, Precision};
use super::ledger::{Book, Books, Totals};
use crate::apps::mode::Mode;
use crate::core::basket::BasketStatus;
use crate::core::fill::Balance;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::Side;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::volatility;
use crate::ports::store::{BasketRecord, OrderRecord};
use rust_decimal::Decimal;
use serde::Serialize;

/// How long a computed live view is served again: well below the page's 3 s refresh, so
/// every refresh sees fresh data, while a burst of requests shares one read of the store.
pub const LIVE_TTL: std::time::Duration = std::time::Duration::from_millis(500);

/// Rows of the notification deliveries list.
pub const DELIVERIES_SHOWN: u64 = 10;

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
    /// The pair.
    pub symbol: String,
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
    /// The pair it trades.
    pub symbol: String,
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
    /// The strategy's kind (`basket`, `range`, `mean_reversion`, `trend`).
    pub strategy: &'static str,
    /// With `[volatility]` on a grid: the factor frozen when the basket anchored, which its
    /// levels are planned at (1 when the window was not full yet). `None` otherwise (mean
    /// reversion and trend read a live factor the dashboard does not see).
    pub vol_factor: Option<Decimal>,
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

/// One notification delivery as the dashboard lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRow {
    /// Where it goes (`telegram`, `webhook`, …).
    pub channel: &'static str,
    /// What it says.
    pub title: String,
    /// `pending`, `sending`, `sent`, `failed`, …
    pub state: &'static str,
    /// Deliveries tried so far.
    pub attempts: u32,
    /// When it was sent, else queued (Unix ms).
    pub when_ms: i64,
    /// The last failure, empty when none.
    pub error: String,
}

/// A notification's row.
pub fn delivery_row(n: crate::ports::outbox::Notification) -> DeliveryRow {
    DeliveryRow {
        channel: n.item.channel.as_str(),
        title: n.item.title,
        state: n.state.as_str(),
        attempts: n.attempts,
        when_ms: n.sent_ms.unwrap_or(n.created_ms),
        error: n.last_error.unwrap_or_default(),
    }
}

/// The summary from the books' totals.
pub fn summary(books: &Books, unrealised: Quote, budget: Option<Quote>) -> Summary {
    summary_of(books.totals, unrealised, budget)
}

/// The summary of some baskets' totals (one grid's: [`Books::totals_of`]).
pub fn summary_of(t: Totals, unrealised: Quote, budget: Option<Quote>) -> Summary {
    let combined = t.realised + unrealised;
    let hundred = Decimal::ONE_HUNDRED;
    let ratio = |part: Decimal, whole: Decimal| {
        (!whole.is_zero()).then(|| format::ratio(part * hundred / whole))
    };
    let avg = |sum: Quote, n: u64| {
        (n > 0).then(|| format::quote(Quote::new(sum.get() / Decimal::from(n))))
    };
    Summary {
        realised: format::quote(t.realised),
        unrealised: format::quote(unrealised),
        combined: format::quote(combined),
        budget: budget.map(format::quote),
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
    p: Precision,
) -> BasketView {
    let b = &record.basket;
    let pos = &book.position;
    let next_tp = open
        .iter()
        .filter(|o| o.basket_id == b.id && o.report.side == Side::Sell)
        .filter_map(|o| {
            let price = o.report.spec.price.or(o.report.spec.stop_price)?;
            Some((o.slot.to_string(), p.price(price)))
        })
        .collect();
    BasketView {
        id: b.id,
        symbol: record.symbol.to_string(),
        status: b.status.as_str(),
        reason: record.reason.clone(),
        anchor: p.price(b.anchor),
        levels_filled: pos.depth(),
        vwap: pos.vwap().map(|v| p.price(v)),
        position: p.qty(pos.qty),
        realised: format::quote(pos.realised_pnl),
        unrealised: format::quote(last.map_or(Quote::ZERO, |l| pos.unrealised_pnl(l))),
        next_tp,
        strategy: b.config.kind.name(),
        vol_factor: frozen_factor(&b.config),
    }
}

/// The volatility factor a grid's basket froze (`.spec/strategies.md` §12; unknown = 1).
fn frozen_factor(config: &StrategyConfig) -> Option<Decimal> {
    let v = config.volatility.as_ref()?;
    volatility::freezes(&config.kind).then(|| v.factor.unwrap_or(Decimal::ONE).normalize())
}

/// An open order's row.
pub fn open_row(o: &OrderRecord, last: Option<Price>, p: Precision) -> OpenOrderRow {
    let r = &o.report;
    let price = r.spec.price.or(r.spec.stop_price);
    let unrealised = match (r.side, price, last) {
        (Side::Buy, Some(p), Some(now)) if r.executed_qty.is_positive() => {
            Some(format::quote(now * r.executed_qty - p * r.executed_qty))
        }
        _ => None,
    };
    OpenOrderRow {
        symbol: r.symbol.to_string(),
        client_id: r.client_id.to_string(),
        order_id: r.order_id,
        basket_id: o.basket_id,
        slot: o.slot.to_string(),
        side: r.side.as_str(),
        order_type: r.spec.order_type.as_str(),
        price: price.map(|v| p.price(v)),
        qty: p.qty(r.spec.qty),
        executed: p.qty(r.executed_qty),
        current_price: last.map(|v| p.price(v)),
        unrealised,
    }
}
