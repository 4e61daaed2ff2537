//! The simulated exchange as an [`EventSource`](crate::ports::events::EventSource): what
//! changed in a [`SimExchange`] since the last look, as domain events.
//!
//! The engine keeps no event log (its state is the truth), so [`SimEventTracker::changes`]
//! compares the engine with what it last reported, like the server's user-data stream does for
//! the wire: new orders, each new trade (in trade-id order, with the running executed
//! quantity), orders that ended otherwise, changed balances, and the last price. Whoever drives
//! the engine (a backtest loop, a test) calls it after each request or candle and pushes the
//! events into a [`ChannelEvents`](crate::ports::events::ChannelEvents) sender.

use super::SimExchange;
use crate::core::fill::Balance;
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::OrderStatus;
use crate::core::symbol::{Asset, Symbol};
use crate::ports::events::{ExchangeEvent, OrderUpdate, PriceUpdate};
use crate::ports::exchange::BookTicker;
use std::collections::BTreeMap;

/// What was last reported of one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    status: OrderStatus,
    executed: Qty,
    quote: Quote,
}

/// Tracks a [`SimExchange`] and reports its changes as events.
#[derive(Debug, Default)]
pub struct SimEventTracker {
    orders: BTreeMap<(Symbol, u64), Seen>,
    next_trade: BTreeMap<Symbol, u64>,
    balances: BTreeMap<Asset, Balance>,
    prices: BTreeMap<Symbol, Price>,
}

impl SimEventTracker {
    /// A tracker that reports only what happens after now (no replay of history).
    pub fn starting_at(ex: &SimExchange, symbols: &[Symbol]) -> Self {
        let mut t = Self::default();
        for symbol in symbols {
            for r in ex.all_orders(symbol).unwrap_or_default() {
                let seen = Seen {
                    status: r.status,
                    executed: r.executed_qty,
                    quote: r.cumulative_quote,
                };
                t.orders.insert((symbol.clone(), r.order_id), seen);
            }
            if let Some(last) = ex.my_trades(symbol, None, 1).unwrap_or_default().last() {
                t.next_trade.insert(symbol.clone(), last.trade_id + 1);
            }
        }
        t.balance_changes(ex);
        t
    }

    /// Everything that changed since the last call, oldest first.
    pub fn changes(
        &mut self,
        ex: &SimExchange,
        symbols: &[Symbol],
        now_ms: i64,
    ) -> Vec<ExchangeEvent> {
        let mut events = Vec::new();
        for symbol in symbols {
            self.order_changes(ex, symbol, now_ms, &mut events);
            if let Ok(Some(price)) = ex.last_price(symbol) {
                if self.prices.insert(symbol.clone(), price) != Some(price) {
                    events.push(ExchangeEvent::Price(PriceUpdate::Book {
                        symbol: symbol.clone(),
                        ticker: BookTicker {
                            bid: price,
                            ask: price,
                        },
                    }));
                }
            }
        }
        let balances = self.balance_changes(ex);
        if !balances.is_empty() {
            events.push(ExchangeEvent::Balances {
                time_ms: now_ms,
                balances,
            });
        }
        events
    }

    fn order_changes(
        &mut self,
        ex: &SimExchange,
        symbol: &Symbol,
        now_ms: i64,
        events: &mut Vec<ExchangeEvent>,
    ) {
        let Ok(orders) = ex.all_orders(symbol) else {
            return;
        };
        let reports: BTreeMap<u64, _> = orders.into_iter().map(|r| (r.order_id, r)).collect();
        for (id, r) in &reports {
            let key = (symbol.clone(), *id);
            if let std::collections::btree_map::Entry::Vacant(slot) = self.orders.entry(key) {
                let seen = Seen {
                    status: OrderStatus::New,
                    executed: Qty::ZERO,
                    quote: Quote::ZERO,
                };
                slot.insert(seen);
                events.push(update(r, &seen, None, now_ms));
            }
        }
        let from = self.next_trade.get(symbol).copied().unwrap_or(0);
        let mut next = from;
        while let Ok(trades) = ex.my_trades(symbol, Some(next), 1000) {
            for t in &trades {
                next = t.trade_id + 1;
                let (Some(r), Some(seen)) = (
                    reports.get(&t.order_id),
                    self.orders.get_mut(&(symbol.clone(), t.order_id)),
                ) else {
                    continue;
                };
                seen.executed += t.qty;
                seen.quote += t.quote_qty;
                seen.status = if seen.executed >= r.spec.qty {
                    OrderStatus::Filled
                } else {
                    OrderStatus::PartiallyFilled
                };
                events.push(update(r, seen, Some(t.clone()), now_ms));
            }
            if trades.len() < 1000 {
                break;
            }
        }
        self.next_trade.insert(symbol.clone(), next);
        for (id, r) in &reports {
            let Some(seen) = self.orders.get_mut(&(symbol.clone(), *id)) else {
                continue;
            };
            let ended = !matches!(
                r.status,
                OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::Filled
            );
            if ended && seen.status != r.status {
                seen.status = r.status;
                events.push(update(r, seen, None, now_ms));
            }
        }
    }

    fn balance_changes(&mut self, ex: &SimExchange) -> Vec<Balance> {
        let balances = ex.balances();
        let mut assets: Vec<Asset> = ex.account().balances.into_iter().map(|b| b.asset).collect();
        assets.extend(self.balances.keys().cloned());
        assets.sort();
        assets.dedup();
        let mut changed = Vec::new();
        for asset in assets {
            let now = Balance {
                free: balances.free(&asset),
                locked: balances.locked(&asset),
                asset: asset.clone(),
            };
            if self.balances.get(&asset) != Some(&now) {
                self.balances.insert(asset, now.clone());
                changed.push(now);
            }
        }
        changed
    }
}

fn update(
    r: &crate::ports::exchange::OrderReport,
    seen: &Seen,
    trade: Option<crate::ports::exchange::ExchangeTrade>,
    now_ms: i64,
) -> ExchangeEvent {
    let mut report = r.clone();
    report.status = seen.status;
    report.executed_qty = seen.executed;
    report.cumulative_quote = seen.quote;
    ExchangeEvent::Order(Box::new(OrderUpdate {
        report,
        trade,
        event_ms: now_ms,
    }))
}
