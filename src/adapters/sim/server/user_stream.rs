//! User Data Stream events (`user-data-stream.md`): `executionReport`,
//! `outboundAccountPosition` and `balanceUpdate` (deposits, `POST /sim/deposit`), for every change of the account, whichever way it happened (a
//! REST or WebSocket request, a candle that filled an order).
//!
//! The engine keeps no event log, so changes are found by comparing the engine with what was
//! last published: after every request and every candle step, new orders give `NEW`, new
//! trades `TRADE` (in trade-id order, with running cumulative quantities), orders that ended
//! otherwise `CANCELED`/`EXPIRED`/…, and changed balances one `outboundAccountPosition`. The
//! comparison only runs once a client has subscribed (`start`), so servers without
//! subscribers pay nothing; it starts from the state at that moment (no replay of history).
//! Events go to every subscription through a broadcast channel: there is one account.

use super::wire::{self, dec};
use crate::adapters::sim::SimExchange;
use crate::core::money::Amount;
use crate::core::order::OrderStatus;
use crate::core::symbol::{Asset, Symbol};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tokio::sync::broadcast;

/// How many events a slow subscriber may lag before it loses the oldest (and is told so by
/// the channel; the connection then ends its subscriptions).
const CHANNEL_CAPACITY: usize = 4096;

/// What was last published of one order: status, executed quantity, executed quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    status: OrderStatus,
    executed: Decimal,
    quote: Decimal,
}

/// The published state the next comparison starts from. Only orders that can still change
/// (open when last published) are kept, with the highest order id seen: a comparison then
/// costs what changed, not every order ever placed (it runs after every request).
#[derive(Debug, Default)]
struct Published {
    orders: BTreeMap<(Symbol, u64), Seen>,
    max_order_id: BTreeMap<Symbol, u64>,
    last_trade: BTreeMap<Symbol, u64>,
    balances: BTreeMap<Asset, (Amount, Amount)>,
}

/// The event source of the simulated account.
#[derive(Debug)]
pub struct UserStream {
    tx: broadcast::Sender<Value>,
    published: Option<Published>,
    next_execution_id: u64,
}

impl Default for UserStream {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(CHANNEL_CAPACITY).0,
            published: None,
            next_execution_id: 0,
        }
    }
}

impl UserStream {
    /// A receiver of every event from now on; starts tracking the engine on first use.
    pub fn subscribe(
        &mut self,
        ex: &SimExchange,
        symbols: &[Symbol],
    ) -> broadcast::Receiver<Value> {
        if self.published.is_none() {
            let mut p = Published::default();
            snapshot(ex, symbols, &mut p);
            self.published = Some(p);
        }
        self.tx.subscribe()
    }

    /// A `balanceUpdate` (a deposit or withdrawal of `delta`, signed), sent before the
    /// `outboundAccountPosition` the next [`Self::publish`] finds (nothing before the first
    /// subscription).
    pub fn balance_update(&mut self, asset: &Asset, delta: Decimal, now_ms: i64) {
        if self.published.is_some() {
            let _ = self.tx.send(json!({
                "e": "balanceUpdate", "E": now_ms, "a": asset.as_str(), "d": dec(delta), "T": now_ms,
            }));
        }
    }

    /// Publishes what changed in `ex` since the last call (nothing before the first
    /// subscription).
    pub fn publish(&mut self, ex: &SimExchange, symbols: &[Symbol], now_ms: i64) {
        let Some(published) = self.published.as_mut() else {
            return;
        };
        let mut events = Vec::new();
        for symbol in symbols {
            let watched: Vec<u64> = published
                .orders
                .range((symbol.clone(), 0)..=(symbol.clone(), u64::MAX))
                .map(|((_, id), _)| *id)
                .collect();
            let after = published.max_order_id.get(symbol).copied().unwrap_or(0);
            let Ok(orders) = ex.orders_since(symbol, &watched, after) else {
                continue;
            };
            if let Some(last) = orders.last() {
                let max = published.max_order_id.entry(symbol.clone()).or_default();
                *max = (*max).max(last.order_id);
            }
            let reports: BTreeMap<u64, _> = orders.into_iter().map(|r| (r.order_id, r)).collect();
            let mut running: BTreeMap<u64, Seen> = BTreeMap::new();
            for (id, r) in &reports {
                let key = (symbol.clone(), *id);
                let seen = published.orders.get(&key).copied().unwrap_or_else(|| {
                    let new = Seen {
                        status: OrderStatus::New,
                        executed: Decimal::ZERO,
                        quote: Decimal::ZERO,
                    };
                    events.push(report(&wire::order(r), "NEW", "NEW", &new, None, now_ms));
                    new
                });
                running.insert(*id, seen);
            }
            let mut next = published.last_trade.get(symbol).map_or(0, |t| t + 1);
            while let Ok(trades) = ex.my_trades(symbol, Some(next), 1000) {
                for t in &trades {
                    let (Some(r), Some(seen)) =
                        (reports.get(&t.order_id), running.get_mut(&t.order_id))
                    else {
                        continue;
                    };
                    seen.executed += t.qty.get();
                    seen.quote += t.quote_qty.get();
                    let full = seen.executed >= r.spec.qty.get();
                    seen.status = if full {
                        OrderStatus::Filled
                    } else {
                        OrderStatus::PartiallyFilled
                    };
                    let status = if full { "FILLED" } else { "PARTIALLY_FILLED" };
                    let order = wire::order(r);
                    events.push(report(&order, "TRADE", status, seen, Some(t), now_ms));
                    published.last_trade.insert(symbol.clone(), t.trade_id);
                }
                match trades.last() {
                    Some(last) if trades.len() == 1000 => next = last.trade_id + 1,
                    _ => break,
                }
            }
            for (id, r) in &reports {
                let Some(seen) = running.get_mut(id) else {
                    continue;
                };
                let ended = !matches!(
                    r.status,
                    OrderStatus::New | OrderStatus::PartiallyFilled | OrderStatus::Filled
                );
                if ended && seen.status != r.status {
                    seen.status = r.status;
                    let order = wire::order(r);
                    let status = order["status"].as_str().unwrap_or("EXPIRED").to_string();
                    let execution = if status == "CANCELED" {
                        "CANCELED"
                    } else {
                        "EXPIRED"
                    };
                    events.push(report(&order, execution, &status, seen, None, now_ms));
                }
                // A final order never changes again: it is no longer compared.
                match seen.status.is_open() {
                    true => published.orders.insert((symbol.clone(), *id), *seen),
                    false => published.orders.remove(&(symbol.clone(), *id)),
                };
            }
        }
        let changed = changed_balances(ex, &mut published.balances);
        if !changed.is_empty() {
            events.push(json!({
                "e": "outboundAccountPosition",
                "E": now_ms,
                "u": now_ms,
                "B": changed,
            }));
        }
        for mut e in events {
            if e["e"] == "executionReport" {
                self.next_execution_id += 1;
                e["I"] = self.next_execution_id.into();
            }
            // No receiver is not an error: the last subscriber may just have left.
            let _ = self.tx.send(e);
        }
    }
}

/// Records the current orders, last trades and balances as published.
fn snapshot(ex: &SimExchange, symbols: &[Symbol], p: &mut Published) {
    for symbol in symbols {
        for r in ex.all_orders(symbol).unwrap_or_default() {
            let max = p.max_order_id.entry(symbol.clone()).or_default();
            *max = (*max).max(r.order_id);
            if !r.status.is_open() {
                continue;
            }
            let seen = Seen {
                status: r.status,
                executed: r.executed_qty.get(),
                quote: r.cumulative_quote.get(),
            };
            p.orders.insert((symbol.clone(), r.order_id), seen);
        }
        if let Some(t) = ex.my_trades(symbol, None, 1).unwrap_or_default().last() {
            p.last_trade.insert(symbol.clone(), t.trade_id);
        }
    }
    changed_balances(ex, &mut p.balances);
}

/// The `B` entries of the assets whose free or locked amount changed (recording them).
fn changed_balances(ex: &SimExchange, seen: &mut BTreeMap<Asset, (Amount, Amount)>) -> Vec<Value> {
    let balances = ex.balances();
    let mut assets: Vec<Asset> = ex.account().balances.into_iter().map(|b| b.asset).collect();
    assets.extend(seen.keys().cloned());
    assets.sort();
    assets.dedup();
    let mut changed = Vec::new();
    for asset in assets {
        let now = (balances.free(&asset), balances.locked(&asset));
        if seen.get(&asset) != Some(&now) {
            changed
                .push(json!({"a": asset.as_str(), "f": dec(now.0.get()), "l": dec(now.1.get())}));
            seen.insert(asset, now);
        }
    }
    changed
}

/// One `executionReport` from the order's REST shape (`wire::order`), its state after this
/// execution and, for `TRADE`, the trade.
fn report(
    order: &Value,
    execution: &str,
    status: &str,
    seen: &Seen,
    trade: Option<&crate::ports::exchange::ExchangeTrade>,
    now_ms: i64,
) -> Value {
    let zero = dec(Decimal::ZERO);
    let (last_qty, last_price, last_quote, commission, commission_asset, trade_id, maker, time) =
        match trade {
            Some(t) => (
                dec(t.qty.get()),
                dec(t.price.get()),
                dec(t.quote_qty.get()),
                dec(t.commission.get()),
                Value::from(t.commission_asset.as_str()),
                Value::from(t.trade_id),
                t.is_maker,
                t.time_ms,
            ),
            None => (
                zero.clone(),
                zero.clone(),
                zero.clone(),
                "0".to_string(),
                Value::Null,
                Value::from(-1),
                false,
                now_ms,
            ),
        };
    json!({
        "e": "executionReport",
        "E": now_ms,
        "s": order["symbol"],
        "c": order["clientOrderId"],
        "S": order["side"],
        "o": order["type"],
        "f": order["timeInForce"],
        "q": order["origQty"],
        "p": order["price"],
        "P": order["stopPrice"],
        "F": zero,
        "g": -1,
        // The original client id of a cancelled order (the cancel's own id is not kept: `c`
        // repeats the order's).
        "C": if execution == "CANCELED" { order["clientOrderId"].clone() } else { Value::from("") },
        "x": execution,
        "X": status,
        "r": "NONE",
        "i": order["orderId"],
        "l": last_qty,
        "z": dec(seen.executed),
        "L": last_price,
        "n": commission,
        "N": commission_asset,
        "T": time,
        "t": trade_id,
        "I": 0,
        "w": matches!(status, "NEW" | "PARTIALLY_FILLED") && order["isWorking"] == true,
        "m": maker,
        "M": false,
        "O": order["time"],
        "Z": dec(seen.quote),
        "Y": last_quote,
        "Q": zero,
        "W": order["workingTime"],
        "V": "NONE",
    })
}
