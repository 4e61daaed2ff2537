//! Data of `/orders/history` and `/baskets/{id}` (and their `/api/...` twins), built from
//! records the reader ([`super::read`]) fetched. Pure: no store, no clock.

use super::format::{self, Precision};
use super::journal::TimelineEntry;
use super::ledger::Book;
use super::view::{basket_view, BasketView};
use crate::adapters::sim::server::tape::{civil_from_days, days_from_civil};
use crate::core::fill::Fill;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{Side, Slot};
use crate::core::symbol::Symbol;
use crate::ports::store::{BasketRecord, FillQuery, OrderRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Rows per history page unless asked otherwise.
pub const PER_PAGE: u64 = 50;
/// Most rows per history page.
pub const MAX_PER_PAGE: u64 = 500;

/// `?page=&per_page=&basket=&side=` as typed in a form (empty fields mean "any").
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HistoryParams {
    /// 1-based page.
    pub page: Option<String>,
    /// Rows per page.
    pub per_page: Option<String>,
    /// Basket id.
    pub basket: Option<String>,
    /// `buy` or `sell`.
    pub side: Option<String>,
    /// Symbol (`FILUSDT`).
    pub symbol: Option<String>,
    /// First day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), included.
    pub to: Option<String>,
}

/// A validated history query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryFilter {
    /// 1-based page.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
    /// Only this basket.
    pub basket: Option<u32>,
    /// Only this side.
    pub side: Option<Side>,
    /// Only this symbol.
    pub symbol: Option<Symbol>,
    /// From this day's start, Unix ms (UTC).
    pub from_ms: Option<i64>,
    /// Before this time, Unix ms (the start of the day after `to`).
    pub to_ms: Option<i64>,
}

impl HistoryFilter {
    /// The store query of this filter (all pages).
    pub fn query(&self) -> FillQuery {
        FillQuery {
            basket_id: self.basket,
            side: self.side,
            symbol: self.symbol.clone(),
            from_ms: self.from_ms,
            to_ms: self.to_ms,
            ..FillQuery::default()
        }
    }
}

/// Unix ms of the start of a `YYYY-MM-DD` day (UTC); `None` for anything else.
pub fn day_start_ms(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let days = days_from_civil(y, m, d);
    // 2026-02-30 is not a day: the date must come back unchanged.
    (civil_from_days(days) == (y, m, d)).then_some(days * 86_400_000)
}

impl HistoryParams {
    /// Parses the fields; junk is an error message for a 400.
    pub fn filter(&self) -> Result<HistoryFilter, String> {
        fn field<T: std::str::FromStr>(
            v: &Option<String>,
            name: &str,
        ) -> Result<Option<T>, String> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s.parse().map(Some).map_err(|_| format!("bad {name}")),
            }
        }
        let side = match self
            .side
            .as_deref()
            .map(str::trim)
            .map(str::to_ascii_lowercase)
        {
            None => None,
            Some(s) if s.is_empty() => None,
            Some(s) if s == "buy" => Some(Side::Buy),
            Some(s) if s == "sell" => Some(Side::Sell),
            Some(_) => return Err("bad side: buy or sell".into()),
        };
        let day = |v: &Option<String>, name: &str| -> Result<Option<i64>, String> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => day_start_ms(s)
                    .map(Some)
                    .ok_or_else(|| format!("bad {name}: a date like 2026-02-01")),
            }
        };
        let symbol = match self
            .symbol
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                Symbol::parse(&s.to_ascii_uppercase()).map_err(|_| format!("bad symbol {s:?}"))?,
            ),
        };
        let from_ms = day(&self.from, "from")?;
        let to_ms = day(&self.to, "to")?.map(|t| t + 86_400_000);
        if let (Some(f), Some(t)) = (from_ms, to_ms) {
            if f >= t {
                return Err("bad dates: from is after to".into());
            }
        }
        Ok(HistoryFilter {
            symbol,
            from_ms,
            to_ms,
            page: field::<u64>(&self.page, "page")?.unwrap_or(1).max(1),
            per_page: field::<u64>(&self.per_page, "per_page")?
                .unwrap_or(PER_PAGE)
                .clamp(1, MAX_PER_PAGE),
            basket: field(&self.basket, "basket")?,
            side,
        })
    }
}

/// One executed order part.
#[derive(Debug, Clone, Serialize)]
pub struct FillRow {
    /// Unix ms.
    pub time_ms: i64,
    /// Basket.
    pub basket_id: u32,
    /// Exchange order id.
    pub order_id: u64,
    /// Trade id.
    pub trade_id: u64,
    /// Slot.
    pub slot: String,
    /// BUY / SELL.
    pub side: &'static str,
    /// Price.
    pub price: Price,
    /// Quantity.
    pub qty: Qty,
    /// Commission and its asset.
    pub commission: String,
    /// Realised P&L of a sell.
    pub realised: Option<Quote>,
}

/// One page of the history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryView {
    /// The query.
    pub filter: HistoryFilter,
    /// Matching fills in all pages.
    pub total: u64,
    /// Number of pages (at least 1).
    pub pages: u64,
    /// This page's rows, newest first.
    pub rows: Vec<FillRow>,
}

/// One buy level of a basket.
#[derive(Debug, Clone, Serialize)]
pub struct LevelRow {
    /// Slot.
    pub slot: String,
    /// Gross quantity bought.
    pub qty: Qty,
    /// Average fill price.
    pub avg_price: Price,
    /// (last − average) × quantity.
    pub unrealised: Option<Quote>,
}

/// One order of a basket.
#[derive(Debug, Clone, Serialize)]
pub struct OrderRow {
    /// Client id.
    pub client_id: String,
    /// Exchange id.
    pub order_id: u64,
    /// Slot.
    pub slot: String,
    /// BUY / SELL.
    pub side: &'static str,
    /// Type.
    pub order_type: &'static str,
    /// Status.
    pub status: &'static str,
    /// Limit or stop price.
    pub price: Option<Price>,
    /// Ordered quantity.
    pub qty: Qty,
    /// Executed.
    pub executed: Qty,
}

/// `/baskets/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct BasketDetail {
    /// Summary row (status, VWAP, position, P&L).
    pub basket: BasketView,
    /// Status name (any, not only open).
    pub status: &'static str,
    /// Creation time.
    pub created_ms: i64,
    /// Closing time.
    pub closed_ms: Option<i64>,
    /// Buy levels with fills.
    pub levels: Vec<LevelRow>,
    /// Every order, oldest first.
    pub orders: Vec<OrderRow>,
    /// Every fill, oldest first.
    pub fills: Vec<FillRow>,
    /// Opened, fills, closed (filled in by the reader).
    pub timeline: Vec<TimelineEntry>,
    /// The operator's note.
    pub note: Option<String>,
    /// Fees of all fills in the quote asset.
    pub fees: Quote,
}

/// The detail of one basket from its record, book, orders and fills.
pub fn basket_detail(
    record: &BasketRecord,
    book: &Book,
    orders: &[OrderRecord],
    fills: &[Fill],
    last: Option<Price>,
    p: Precision,
) -> BasketDetail {
    let id = record.basket.id;
    let open: Vec<_> = orders
        .iter()
        .filter(|o| o.report.status.is_open())
        .cloned()
        .collect();
    let mut levels: BTreeMap<Slot, (Qty, Quote)> = BTreeMap::new();
    for f in fills.iter().filter(|f| f.side == Side::Buy) {
        let e = levels.entry(f.slot).or_insert((Qty::ZERO, Quote::ZERO));
        e.0 += f.qty;
        e.1 += f.notional();
    }
    BasketDetail {
        basket: basket_view(record, book, &open, last, p),
        status: record.basket.status.as_str(),
        created_ms: record.basket.created_ms,
        closed_ms: record.closed_ms,
        levels: levels
            .into_iter()
            .filter(|(_, (q, _))| q.is_positive())
            .map(|(slot, (qty, cost))| LevelRow {
                slot: slot.to_string(),
                qty: p.qty(qty),
                avg_price: p.price(cost / qty),
                unrealised: last.map(|l| format::quote(l * qty - cost)),
            })
            .collect(),
        orders: orders
            .iter()
            .map(|o| OrderRow {
                client_id: o.report.client_id.to_string(),
                order_id: o.report.order_id,
                slot: o.slot.to_string(),
                side: o.report.side.as_str(),
                order_type: o.report.spec.order_type.as_str(),
                status: o.report.status.as_str(),
                price: o
                    .report
                    .spec
                    .price
                    .or(o.report.spec.stop_price)
                    .map(|v| p.price(v)),
                qty: p.qty(o.report.spec.qty),
                executed: p.qty(o.report.executed_qty),
            })
            .collect(),
        fills: fills
            .iter()
            .map(|f| fill_row(id, f, book.sell_pnl.get(&f.trade_id).copied(), p))
            .collect(),
        timeline: Vec::new(),
        note: None,
        fees: Quote::ZERO,
    }
}

/// A fill's row; `realised` is the sell's realised P&L from the basket's book.
pub fn fill_row(basket_id: u32, f: &Fill, realised: Option<Quote>, p: Precision) -> FillRow {
    FillRow {
        time_ms: f.time_ms,
        basket_id,
        order_id: f.order_id,
        trade_id: f.trade_id,
        slot: f.slot.to_string(),
        side: f.side.as_str(),
        price: p.price(f.price),
        qty: p.qty(f.qty),
        commission: format!(
            "{} {}",
            f.commission.amount.get().normalize(),
            f.commission.asset
        ),
        realised: realised.map(format::quote),
    }
}
