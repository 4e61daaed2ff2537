//! The candle-driven fill model (specified in `.spec/fill-model.md`).
//!
//! A candle is replayed as a path of trades: the open (a jump from the previous price), then
//! straight moves to the extreme nearer the open, to the other extreme, and to the close
//! (tie: high first). Along each monotone leg every eligible order walks its own state
//! (activation, trailing extreme, trigger, resting limit reached); the fills the leg produces
//! are applied in path order (distance from the leg start, then order id), because the volume
//! cap is shared. A candle whose range cannot reach any threshold of the symbol's open orders
//! skips all that: two comparisons and the last price update.

use super::engine::{SimExchange, SymbolId};
use super::errors;
use super::orders::SimOrder;
use super::TouchRule;
use crate::adapters::klines::Candle;
use crate::core::filters::SymbolFilters;
use crate::core::money::{Price, Qty};
use crate::core::order::{OrderStatus, Side, TimeInForce};
use crate::core::symbol::Symbol;
use crate::ports::exchange::{ApiError, ExchangeTrade};
use rust_decimal::Decimal;

/// What one order does on one leg, at which point of it.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// Became working and takes liquidity at this price (taker).
    Take(Price),
    /// Resting limit reached: fills at its limit price (maker).
    Make(Price),
    /// Became working as IOC/FOK without being marketable: expires.
    Expire,
}

/// The four points of the path: open, nearer extreme, other extreme, close.
pub fn path(c: &Candle) -> [Price; 4] {
    let up = c.high - c.open;
    let down = c.open - c.low;
    if down < up {
        [c.open, c.low, c.high, c.close]
    } else {
        [c.open, c.high, c.low, c.close]
    }
}

/// Walks one order over the leg `a → b` (`a == b` for the opening trade); returns what it does
/// and the path price where it happens.
fn walk(
    o: &mut SimOrder,
    a: Price,
    b: Price,
    f: &SymbolFilters,
    rule: TouchRule,
) -> Option<(Price, Action)> {
    let mut s = a;
    if let Some(t) = &mut o.trigger {
        let p = t.walk(s, b, f)?;
        o.trigger = None;
        if o.marketable_at(p) {
            return Some((p, Action::Take(p)));
        }
        if o.tif() != TimeInForce::Gtc {
            return Some((p, Action::Expire));
        }
        s = p;
    }
    let l = o.limit()?;
    let reached = |x: Price| match (o.side(), rule) {
        (Side::Buy, TouchRule::Touch) => x <= l,
        (Side::Buy, TouchRule::TradeThrough) => x < l,
        (Side::Sell, TouchRule::Touch) => x >= l,
        (Side::Sell, TouchRule::TradeThrough) => x > l,
    };
    if reached(s) {
        Some((s, Action::Make(l)))
    } else if reached(b) {
        Some((l, Action::Make(l)))
    } else {
        None
    }
}

impl SimExchange {
    /// Feeds one candle of `symbol`; returns the trades it caused (valid until the next call).
    pub fn on_candle(&mut self, symbol: &Symbol, c: &Candle) -> Result<&[ExchangeTrade], ApiError> {
        let id = self.symbol_id(symbol).ok_or_else(errors::bad_symbol)?;
        Ok(self.on_candle_id(id, c))
    }

    /// Feeds one trade (paper trading on a trade stream): a candle with one price.
    pub fn on_trade(
        &mut self,
        symbol: &Symbol,
        price: Price,
        qty: Qty,
        time_ms: i64,
    ) -> Result<&[ExchangeTrade], ApiError> {
        let c = Candle {
            open_time_ms: time_ms,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: qty,
            close_time_ms: time_ms,
        };
        self.on_candle(symbol, &c)
    }

    /// [`Self::on_candle`] by handle: the backtester's hot loop.
    pub fn on_candle_id(&mut self, id: SymbolId, c: &Candle) -> &[ExchangeTrade] {
        self.out.clear();
        let book = &mut self.books[id.0];
        book.volume = Some(c.volume);
        book.liq_used = Qty::ZERO;
        let quiet = !book.always_slow
            && book.up.is_none_or(|u| c.high < u)
            && book.down.is_none_or(|d| c.low > d);
        if !quiet {
            self.replay(id.0, c);
            self.books[id.0].refresh_bounds();
        }
        self.books[id.0].last = Some(c.close);
        &self.out
    }

    fn replay(&mut self, s: usize, c: &Candle) {
        let pts = path(c);
        let legs = [
            (pts[0], pts[0]),
            (pts[0], pts[1]),
            (pts[1], pts[2]),
            (pts[2], pts[3]),
        ];
        let span = c.close_time_ms.saturating_sub(c.open_time_ms).max(0);
        let mut actions: Vec<(Decimal, u64, Price, Action)> = Vec::new();
        for (k, (a, b)) in legs.into_iter().enumerate() {
            let time_ms = c.open_time_ms + span * k as i64 / 3;
            actions.clear();
            let book = &mut self.books[s];
            let (filters, rule) = (book.rules.filters, self.touch_rule);
            for o in book.open.iter_mut().filter(|o| o.time_ms <= c.open_time_ms) {
                if let Some((at, act)) = walk(o, a, b, &filters, rule) {
                    actions.push(((at - a).get().abs(), o.id, at, act));
                }
            }
            actions.sort_by_key(|x| (x.0, x.1));
            for &(_, id, _, act) in &actions {
                let Some(i) = self.books[s].open.iter().position(|o| o.id == id) else {
                    continue;
                };
                match act {
                    Action::Take(p) => {
                        let o = &self.books[s].open[i];
                        let fok = o.tif() == TimeInForce::Fok;
                        let expires = o.is_market_like() || o.tif() != TimeInForce::Gtc;
                        self.execute(s, i, p, false, time_ms, fok);
                        if expires && self.books[s].open[i].status.is_open() {
                            self.close_rest(s, i, OrderStatus::Expired, time_ms);
                        }
                    }
                    Action::Make(l) => {
                        self.execute(s, i, l, true, time_ms, false);
                    }
                    Action::Expire => self.close_rest(s, i, OrderStatus::Expired, time_ms),
                }
            }
            self.books[s].archive_closed();
        }
    }
}
