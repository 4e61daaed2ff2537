//! [`SimExchange`]: construction, queries, cancels, and the two primitives every fill goes
//! through ([`SimExchange::execute`], [`SimExchange::close_rest`]). Placement lives in
//! `place.rs`, the candle-driven fill model in `candle.rs`.

use super::balances::Balances;
use super::book::Book;
use super::errors;
use super::fees::FeeSchedule;
use super::orders::OrderRef;
use super::{SimConfig, TouchRule};
use crate::core::money::{Price, Qty};
use crate::core::order::{ExpiryReason, OrderStatus, Side};
use crate::core::symbol::Symbol;
use crate::ports::exchange::{Account, ApiError, BookTicker, ExchangeTrade, NewOrder, OrderReport};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Index of a symbol inside one [`SimExchange`] (for the hot candle loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolId(pub(super) usize);

/// Both halves of a successful `order/cancelReplace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelReplaced {
    /// The cancelled order.
    pub cancel: OrderReport,
    /// The new order.
    pub new_order: OrderReport,
}

/// A failed `order/cancelReplace` (`STOP_ON_FAILURE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelReplaceError {
    /// The request was refused as a whole (unknown symbol, not allowed): a plain error.
    Rejected(ApiError),
    /// -2021 (one half failed) or -2022 (both failed), with each half's outcome.
    Failed(Box<CancelReplaceFailure>),
}

/// The body of a -2021/-2022 answer: the error and each half's outcome as Binance reports it
/// in `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelReplaceFailure {
    /// -2021 or -2022 with Binance's message.
    pub error: ApiError,
    /// Outcome of the cancel.
    pub cancel: Result<OrderReport, ApiError>,
    /// Outcome of the new order, `None` when not attempted (`NOT_ATTEMPTED`).
    pub new_order: Option<Result<OrderReport, ApiError>>,
}

/// The simulated exchange. Synchronous and deterministic: same calls, same results.
#[derive(Debug, Clone)]
pub struct SimExchange {
    pub(super) books: Vec<Book>,
    pub(super) index: BTreeMap<Symbol, usize>,
    pub(super) balances: Balances,
    pub(super) fees: FeeSchedule,
    pub(super) max_fill_share: Option<Decimal>,
    pub(super) touch_rule: TouchRule,
    pub(super) next_order_id: u64,
    pub(super) next_trade_id: u64,
    /// Trades of the current call (`place` or `on_candle`).
    pub(super) out: Vec<ExchangeTrade>,
    /// The account's `MAX_ASSET` limits (per single order), set by the operator.
    pub(super) max_asset: BTreeMap<crate::core::symbol::Asset, crate::core::money::Amount>,
}

impl SimExchange {
    /// Builds the exchange from its configuration.
    pub fn new(cfg: SimConfig) -> Self {
        let mut books = Vec::new();
        let mut index = BTreeMap::new();
        for s in cfg.symbols {
            index.insert(s.rules.symbol.clone(), books.len());
            books.push(Book::new(s.rules, s.initial_price));
        }
        Self {
            books,
            index,
            balances: Balances::new(cfg.balances),
            fees: cfg.fees,
            max_fill_share: cfg.max_fill_share,
            touch_rule: cfg.touch_rule,
            next_order_id: cfg.first_order_id,
            next_trade_id: cfg.first_trade_id,
            max_asset: BTreeMap::new(),
            out: Vec::new(),
        }
    }

    /// The handle of a symbol, for [`Self::on_candle_id`].
    pub fn symbol_id(&self, symbol: &Symbol) -> Option<SymbolId> {
        self.index.get(symbol).map(|&i| SymbolId(i))
    }

    /// Caps each candle's fills of a symbol at `share` of its volume (partial fills), or
    /// lifts the cap.
    pub fn set_max_fill_share(&mut self, share: Option<Decimal>) {
        self.max_fill_share = share;
    }

    /// Replaces a symbol's rules (Binance changes filters now and then); open orders stay.
    /// False when the symbol is not listed.
    pub fn set_rules(&mut self, rules: crate::core::filters::SymbolRules) -> bool {
        match self.index.get(&rules.symbol) {
            Some(&i) => {
                self.books[i].rules = rules;
                true
            }
            None => false,
        }
    }

    pub(super) fn sym(&self, symbol: &Symbol) -> Result<usize, ApiError> {
        self.index
            .get(symbol)
            .copied()
            .ok_or_else(errors::bad_symbol)
    }

    /// Places an order; see [`Self::place_with_fills`] for the fills it made at once.
    pub fn place(&mut self, order: &NewOrder, now_ms: i64) -> Result<OrderReport, ApiError> {
        self.place_with_fills(order, now_ms).map(|(r, _)| r)
    }

    /// Cancels an open order and releases what it locked. -2011 "Unknown order sent." when it
    /// is not open (never placed, or already closed).
    pub fn cancel(
        &mut self,
        symbol: &Symbol,
        order: &OrderRef,
        now_ms: i64,
    ) -> Result<OrderReport, ApiError> {
        self.close_open(symbol, order, OrderStatus::Canceled, None, now_ms)
    }

    /// Ends an open order with `status` (and `reason`, for an expiry), releases what it
    /// locked and archives it. -2011 "Unknown order sent." when it is not open.
    pub(super) fn close_open(
        &mut self,
        symbol: &Symbol,
        order: &OrderRef,
        status: OrderStatus,
        reason: Option<ExpiryReason>,
        now_ms: i64,
    ) -> Result<OrderReport, ApiError> {
        let s = self.sym(symbol)?;
        let i = self.books[s]
            .find_open(order)
            .ok_or_else(errors::cancel_unknown)?;
        self.close_rest(s, i, status, now_ms);
        self.books[s].open[i].expiry_reason = reason;
        let report = self.books[s].open[i].report(symbol);
        self.books[s].archive_closed();
        self.books[s].refresh_bounds();
        Ok(report)
    }

    /// `order/cancelReplace` with `STOP_ON_FAILURE`: cancel, then place only if the cancel
    /// succeeded (the cancel's released funds are available to the new order).
    pub fn cancel_replace(
        &mut self,
        symbol: &Symbol,
        cancel: &OrderRef,
        new_order: &NewOrder,
        now_ms: i64,
    ) -> Result<CancelReplaced, CancelReplaceError> {
        let s = self.sym(symbol).map_err(CancelReplaceError::Rejected)?;
        if !self.books[s].rules.cancel_replace_allowed {
            return Err(CancelReplaceError::Rejected(
                errors::cancel_replace_not_supported(),
            ));
        }
        let cancelled = match self.cancel(symbol, cancel, now_ms) {
            Ok(r) => r,
            Err(e) => {
                return Err(CancelReplaceError::Failed(Box::new(CancelReplaceFailure {
                    error: errors::cancel_replace_failed(),
                    cancel: Err(e),
                    new_order: None,
                })))
            }
        };
        match self.place(new_order, now_ms) {
            Ok(n) => Ok(CancelReplaced {
                cancel: cancelled,
                new_order: n,
            }),
            Err(e) => Err(CancelReplaceError::Failed(Box::new(CancelReplaceFailure {
                error: errors::cancel_replace_partial(),
                cancel: Ok(cancelled),
                new_order: Some(Err(e)),
            }))),
        }
    }

    /// One order, open or closed. -2013 "Order does not exist." when never placed.
    pub fn query(&self, symbol: &Symbol, order: &OrderRef) -> Result<OrderReport, ApiError> {
        let s = self.sym(symbol)?;
        self.books[s]
            .find(order)
            .map(|o| o.report(symbol))
            .ok_or_else(errors::no_such_order)
    }

    /// Every order of one symbol ever accepted, open and closed, by order id (for audits:
    /// a client order id that appears twice here was placed twice).
    pub fn all_orders(&self, symbol: &Symbol) -> Result<Vec<OrderReport>, ApiError> {
        let s = self.sym(symbol)?;
        let book = &self.books[s];
        let mut all: Vec<OrderReport> = book
            .open
            .iter()
            .chain(book.closed.values())
            .map(|o| o.report(symbol))
            .collect();
        all.sort_by_key(|r| r.order_id);
        Ok(all)
    }

    /// The orders of one symbol that may have changed since an observer last looked: every
    /// open one, the closed ones among `watched` (open when it looked), and every one with an
    /// id above `after_id` (accepted since); by order id. Costs what changed, not the history.
    pub fn orders_since(
        &self,
        symbol: &Symbol,
        watched: &[u64],
        after_id: u64,
    ) -> Result<Vec<OrderReport>, ApiError> {
        let s = self.sym(symbol)?;
        let book = &self.books[s];
        let mut ids = std::collections::BTreeSet::new();
        let mut out: Vec<OrderReport> = Vec::new();
        let closed_watched = watched.iter().filter_map(|id| book.closed.get(id));
        let closed_new = book
            .closed
            .range(after_id.saturating_add(1)..)
            .map(|(_, o)| o);
        for o in book.open.iter().chain(closed_watched).chain(closed_new) {
            if ids.insert(o.id) {
                out.push(o.report(symbol));
            }
        }
        out.sort_by_key(|r| r.order_id);
        Ok(out)
    }

    /// Open orders of one symbol, oldest first.
    pub fn open_orders(&self, symbol: &Symbol) -> Result<Vec<OrderReport>, ApiError> {
        let s = self.sym(symbol)?;
        Ok(self.books[s]
            .open
            .iter()
            .map(|o| o.report(symbol))
            .collect())
    }

    /// Our trades of one symbol, oldest first: from trade id `from_id` on, or the most recent
    /// ones without it; at most `limit` (capped at 1000, as Binance does).
    pub fn my_trades(
        &self,
        symbol: &Symbol,
        from_id: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ExchangeTrade>, ApiError> {
        let trades = &self.books[self.sym(symbol)?].trades;
        let limit = limit.clamp(1, 1000);
        let slice = match from_id {
            Some(id) => {
                let start = trades.partition_point(|t| t.trade_id < id);
                &trades[start..trades.len().min(start + limit)]
            }
            None => &trades[trades.len().saturating_sub(limit)..],
        };
        Ok(slice.to_vec())
    }

    /// Balances (non-zero ones) and fee rates.
    pub fn account(&self) -> Account {
        Account {
            balances: self.balances.non_zero(),
            maker_rate: self.fees.maker_rate,
            taker_rate: self.fees.taker_rate,
            can_trade: true,
            can_withdraw: false,
        }
    }

    /// Credits `amount` of `asset` to the free balance (a deposit).
    pub fn deposit(
        &mut self,
        asset: &crate::core::symbol::Asset,
        amount: crate::core::money::Amount,
    ) {
        self.balances.credit(asset, amount);
    }

    /// The balances themselves (free and locked per asset).
    pub fn balances(&self) -> &Balances {
        &self.balances
    }

    /// Best bid and ask: both the last price (the model has no spread); zero before any price,
    /// as Binance shows an empty book.
    pub fn book_ticker(&self, symbol: &Symbol) -> Result<BookTicker, ApiError> {
        let p = self.books[self.sym(symbol)?].last.unwrap_or(Price::ZERO);
        Ok(BookTicker { bid: p, ask: p })
    }

    /// Last traded price, `None` before the first candle when no initial price was given.
    pub fn last_price(&self, symbol: &Symbol) -> Result<Option<Price>, ApiError> {
        Ok(self.books[self.sym(symbol)?].last)
    }

    /// Executes up to the remaining quantity of open order `i` at `price`, within the volume
    /// cap; with `all_or_none` (FOK) nothing executes unless everything can. Settles balances
    /// and commission, records the trade. Returns the executed quantity.
    pub(super) fn execute(
        &mut self,
        s: usize,
        i: usize,
        price: Price,
        is_maker: bool,
        time_ms: i64,
        all_or_none: bool,
    ) -> Qty {
        let book = &mut self.books[s];
        let remaining = book.open[i].remaining();
        let mut qty = match book.liquidity(self.max_fill_share) {
            Some(liq) => remaining.min(liq),
            None => remaining,
        };
        let o = &book.open[i];
        if o.side() == Side::Buy && o.limit().is_none() {
            // Market buys lock nothing: they spend free quote, and stop at what it pays for.
            let free = self.balances.free(&book.rules.quote_asset).as_quote();
            qty = qty.min(book.rules.filters.round_qty_down(free / price));
        }
        if qty.is_zero() || (all_or_none && qty < remaining) {
            return Qty::ZERO;
        }
        let (base, quote) = (
            book.rules.base_asset.clone(),
            book.rules.quote_asset.clone(),
        );
        let o = &mut book.open[i];
        let notional = price * qty;
        let balances = &mut self.balances;
        match o.side() {
            Side::Buy => {
                if let Some(l) = o.limit() {
                    let reserved = (l * qty).as_amount();
                    balances.unlock(&quote, reserved);
                    o.locked -= reserved;
                }
                let paid = balances.debit_free(&quote, notional.as_amount());
                debug_assert!(paid, "buy settled without the quote to pay");
                balances.credit(&base, qty.as_amount());
            }
            Side::Sell => {
                balances.unlock(&base, qty.as_amount());
                o.locked -= qty.as_amount();
                let sold = balances.debit_free(&base, qty.as_amount());
                debug_assert!(sold, "sell settled without the base it locked");
                balances.credit(&quote, notional.as_amount());
            }
        }
        let charge = self
            .fees
            .charge(o.side(), is_maker, qty, price, &base, &quote, |a| {
                balances.free(a)
            });
        let charged = balances.debit_free(&charge.asset, charge.amount);
        debug_assert!(charged, "commission larger than what the fill received");
        o.executed += qty;
        o.cum_quote += notional;
        o.update_ms = time_ms;
        o.status = if o.remaining().is_zero() {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        book.liq_used += qty;
        book.last = Some(price);
        let trade = ExchangeTrade {
            symbol: book.rules.symbol.clone(),
            trade_id: self.next_trade_id,
            order_id: o.id,
            side: o.side(),
            price,
            qty,
            quote_qty: notional,
            commission: charge.amount,
            commission_asset: charge.asset,
            is_maker,
            time_ms,
        };
        self.next_trade_id += 1;
        if o.status == OrderStatus::Filled {
            self.close_rest(s, i, OrderStatus::Filled, time_ms);
        }
        self.books[s].trades.push(trade.clone());
        self.out.push(trade);
        qty
    }

    /// Closes open order `i` with `status` (kept as is when it is `Filled`) and releases what
    /// it still locks. The caller archives it.
    pub(super) fn close_rest(&mut self, s: usize, i: usize, status: OrderStatus, time_ms: i64) {
        let book = &mut self.books[s];
        let o = &mut book.open[i];
        let asset = match o.side() {
            Side::Buy => &book.rules.quote_asset,
            Side::Sell => &book.rules.base_asset,
        };
        self.balances.unlock(asset, o.locked);
        o.locked = crate::core::money::Amount::ZERO;
        o.status = status;
        o.update_ms = time_ms;
    }

    /// Takes the next order id.
    pub(super) fn take_order_id(&mut self) -> u64 {
        let id = self.next_order_id;
        self.next_order_id += 1;
        id
    }

    /// Rejects a new order whose client id belongs to an open order of the symbol.
    pub(super) fn check_duplicate(&self, s: usize, order: &NewOrder) -> Result<(), ApiError> {
        let dup = self.books[s]
            .find_open(&OrderRef::Client(order.client_id.clone()))
            .is_some();
        if dup {
            Err(errors::duplicate_order())
        } else {
            Ok(())
        }
    }
}
