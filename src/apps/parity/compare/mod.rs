//! The comparison itself: two runs of the same grid as plain rows (the journal's and the
//! backtester's), compared basket by basket, every difference classified (`.spec/parity.md`).
//!
//! Pairing: orders and fills are grouped by (basket, slot, side) and paired in time order,
//! the n-th journal fill of a slot with the n-th backtest fill of it. Orders pair on what was
//! asked (type, price, stop, quantity), not on when: placement time is the bot's step
//! timing, which the fill times already judge. A fill pair reports every field that differs
//! (price → slippage, quantity → partial fill, time → latency; a fee only on its own, since a
//! price or quantity difference moves the fee with it).

use crate::core::money::{Price, Qty, Quote};
use crate::core::order::{OrderType, Side, Slot};
use serde::Serialize;
use std::collections::BTreeMap;

/// An order as both sides see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRow {
    /// Basket id.
    pub basket: u32,
    /// Slot inside the basket.
    pub slot: Slot,
    /// Buy or sell.
    pub side: Side,
    /// Binance order type.
    pub order_type: OrderType,
    /// Limit price (the level), if any.
    pub price: Option<Price>,
    /// Stop or activation price, if any.
    pub stop_price: Option<Price>,
    /// Ordered base quantity.
    pub qty: Qty,
    /// Placement time, Unix ms.
    pub time_ms: i64,
}

/// A fill as both sides see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FillRow {
    /// Basket id.
    pub basket: u32,
    /// Slot of the order.
    pub slot: Slot,
    /// Buy or sell.
    pub side: Side,
    /// Execution price.
    pub price: Price,
    /// Executed base quantity.
    pub qty: Qty,
    /// Commission valued in quote at the fill price; `None` when it cannot be valued.
    pub fee: Option<Quote>,
    /// Execution time, Unix ms.
    pub time_ms: i64,
    /// The limit (level) price of its order, if it had one.
    pub order_price: Option<Price>,
    /// Its order's quantity.
    pub order_qty: Qty,
}

/// One run's orders, fills and realised P&L per basket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunRows {
    /// Every order, any order.
    pub orders: Vec<OrderRow>,
    /// Every fill, any order.
    pub fills: Vec<FillRow>,
    /// Realised P&L (gross of fees, average cost) by basket id.
    pub pnl: BTreeMap<u32, Quote>,
}

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The backtester placed an order the journal does not have.
    MissingOrder,
    /// The journal has an order the backtester did not place.
    ExtraOrder,
    /// The backtester filled where the journal has no fill.
    MissingFill,
    /// The journal has a fill the backtester does not.
    ExtraFill,
    /// A paired fill at another price than its own level (the market moved the fill).
    Slippage,
    /// A paired fill at its own level, which is not the backtester's (the orders differ).
    Level,
    /// A paired fill of less than its order's quantity.
    PartialFill,
    /// A paired fill of its whole order, whose size is not the backtester's.
    Quantity,
    /// A paired fill at another time.
    Latency,
    /// A paired fill, same price and quantity, with another fee.
    Fee,
    /// A basket's realised P&L differs.
    Pnl,
}

impl Kind {
    /// The report's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MissingOrder => "missing order",
            Kind::ExtraOrder => "extra order",
            Kind::MissingFill => "missing fill",
            Kind::ExtraFill => "extra fill",
            Kind::Slippage => "slippage",
            Kind::Level => "level",
            Kind::PartialFill => "partial fill",
            Kind::Quantity => "quantity",
            Kind::Latency => "latency",
            Kind::Fee => "fee",
            Kind::Pnl => "realised P&L",
        }
    }
}

/// One difference, in words both sides can check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Basket id.
    pub basket: u32,
    /// What kind.
    pub kind: Kind,
    /// The slot concerned (none for P&L).
    pub slot: Option<Slot>,
    /// What the journal has (empty when nothing).
    pub journal: String,
    /// What the backtester has (empty when nothing).
    pub backtest: String,
    /// The explanation: by how much, and against what.
    pub detail: String,
}

/// Compares `journal` with `backtest`; differences in basket, kind, time order.
pub fn compare(journal: &RunRows, backtest: &RunRows) -> Vec<Difference> {
    let mut out = Vec::new();
    compare_orders(journal, backtest, &mut out);
    compare_fills(journal, backtest, &mut out);
    compare_pnl(journal, backtest, &mut out);
    out.sort_by_key(|d| (d.basket, d.kind));
    out
}

type Key = (u32, Slot, Side);

fn group<T: Clone>(
    rows: &[T],
    key: impl Fn(&T) -> Key,
    time: impl Fn(&T) -> i64,
) -> BTreeMap<Key, Vec<T>> {
    let mut map: BTreeMap<Key, Vec<T>> = BTreeMap::new();
    for row in rows {
        map.entry(key(row)).or_default().push(row.clone());
    }
    for rows in map.values_mut() {
        rows.sort_by_key(&time);
    }
    map
}

fn keys<A, B>(a: &BTreeMap<Key, A>, b: &BTreeMap<Key, B>) -> Vec<Key> {
    let mut all: Vec<Key> = a.keys().chain(b.keys()).copied().collect();
    all.sort();
    all.dedup();
    all
}

fn compare_orders(journal: &RunRows, backtest: &RunRows, out: &mut Vec<Difference>) {
    let key = |o: &OrderRow| (o.basket, o.slot, o.side);
    let j = group(&journal.orders, key, |o| o.time_ms);
    let b = group(&backtest.orders, key, |o| o.time_ms);
    for k in keys(&j, &b) {
        let mut left: Vec<OrderRow> = j.get(&k).cloned().unwrap_or_default();
        let mut right: Vec<OrderRow> = b.get(&k).cloned().unwrap_or_default();
        // Pair identical requests first, whatever their times.
        left.retain(|o| match right.iter().position(|r| same_request(o, r)) {
            Some(i) => {
                right.remove(i);
                false
            }
            None => true,
        });
        for o in left {
            out.push(order_diff(
                Kind::ExtraOrder,
                &o,
                "the backtester placed no such order",
            ));
        }
        for o in right {
            out.push(order_diff(
                Kind::MissingOrder,
                &o,
                "the journal has no such order",
            ));
        }
    }
}

fn same_request(a: &OrderRow, b: &OrderRow) -> bool {
    (a.order_type, a.price, a.stop_price, a.qty) == (b.order_type, b.price, b.stop_price, b.qty)
}

fn order_diff(kind: Kind, o: &OrderRow, detail: &str) -> Difference {
    let text = order_text(o);
    let (journal, backtest) = match kind {
        Kind::ExtraOrder => (text, String::new()),
        _ => (String::new(), text),
    };
    Difference {
        basket: o.basket,
        kind,
        slot: Some(o.slot),
        journal,
        backtest,
        detail: detail.to_string(),
    }
}

fn order_text(o: &OrderRow) -> String {
    let at = match (o.price, o.stop_price) {
        (Some(p), Some(s)) => format!(" {} stop {}", n(p.get()), n(s.get())),
        (Some(p), None) => format!(" {}", n(p.get())),
        (None, Some(s)) => format!(" stop {}", n(s.get())),
        (None, None) => String::new(),
    };
    format!(
        "{} {} {}{at} placed {}",
        o.side.as_str(),
        n(o.qty.get()),
        o.order_type.as_str(),
        o.time_ms
    )
}

fn fill_text(f: &FillRow) -> String {
    let fee = f.fee.map_or("?".to_string(), |q| n(q.get()));
    let (qty, price) = (n(f.qty.get()), n(f.price.get()));
    format!(
        "{} {qty} @ {price} fee {fee} at {}",
        f.side.as_str(),
        f.time_ms
    )
}

fn compare_fills(journal: &RunRows, backtest: &RunRows, out: &mut Vec<Difference>) {
    let key = |f: &FillRow| (f.basket, f.slot, f.side);
    let j = group(&journal.fills, key, |f| f.time_ms);
    let b = group(&backtest.fills, key, |f| f.time_ms);
    let empty = Vec::new();
    for k in keys(&j, &b) {
        let (left, right) = (j.get(&k).unwrap_or(&empty), b.get(&k).unwrap_or(&empty));
        for i in 0..left.len().max(right.len()) {
            match (left.get(i), right.get(i)) {
                (Some(jf), Some(bf)) => fill_pair(jf, bf, out),
                (Some(jf), None) => out.push(Difference {
                    basket: jf.basket,
                    kind: Kind::ExtraFill,
                    slot: Some(jf.slot),
                    journal: fill_text(jf),
                    backtest: String::new(),
                    detail: "the backtester has no such fill".into(),
                }),
                (None, Some(bf)) => out.push(Difference {
                    basket: bf.basket,
                    kind: Kind::MissingFill,
                    slot: Some(bf.slot),
                    journal: String::new(),
                    backtest: fill_text(bf),
                    detail: "the journal has no such fill".into(),
                }),
                (None, None) => {}
            }
        }
    }
}

fn fill_pair(j: &FillRow, b: &FillRow, out: &mut Vec<Difference>) {
    let mut push = |kind, detail: String| {
        out.push(Difference {
            basket: j.basket,
            kind,
            slot: Some(j.slot),
            journal: fill_text(j),
            backtest: fill_text(b),
            detail,
        })
    };
    if j.price != b.price {
        let delta = j.price - b.price;
        match j.order_price {
            Some(level) if level == j.price => push(
                Kind::Level,
                format!(
                    "filled at its level {level}; the backtester at {} ({delta})",
                    n(b.price.get())
                ),
            ),
            Some(level) => push(
                Kind::Slippage,
                format!(
                    "filled at {} against its level {level}; the backtester at {} ({delta})",
                    j.price,
                    n(b.price.get())
                ),
            ),
            None => push(
                Kind::Slippage,
                format!(
                    "filled at {} (no limit); the backtester at {} ({delta})",
                    j.price,
                    n(b.price.get())
                ),
            ),
        }
    }
    if j.qty != b.qty {
        match j.qty < j.order_qty {
            true => push(
                Kind::PartialFill,
                format!(
                    "filled {} of the order's {}; the backtester {}",
                    j.qty,
                    j.order_qty,
                    n(b.qty.get())
                ),
            ),
            false => push(
                Kind::Quantity,
                format!(
                    "filled its whole order of {}; the backtester {}",
                    j.order_qty,
                    n(b.qty.get())
                ),
            ),
        }
    }
    if j.time_ms != b.time_ms {
        let late = (j.time_ms - b.time_ms) as f64 / 1000.0;
        push(
            Kind::Latency,
            format!(
                "filled at {} ms, the backtester at {} ms ({late:+} s)",
                j.time_ms, b.time_ms
            ),
        );
    }
    if j.price == b.price && j.qty == b.qty && j.fee != b.fee {
        push(
            Kind::Fee,
            "same price and quantity, another commission".into(),
        );
    }
}

fn compare_pnl(journal: &RunRows, backtest: &RunRows, out: &mut Vec<Difference>) {
    let mut ids: Vec<u32> = journal
        .pnl
        .keys()
        .chain(backtest.pnl.keys())
        .copied()
        .collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let (j, b) = (journal.pnl.get(&id), backtest.pnl.get(&id));
        if j == b {
            continue;
        }
        let show = |q: Option<&Quote>| q.map_or("no such basket".to_string(), |q| n(q.get()));
        let delta = j.copied().unwrap_or(Quote::ZERO) - b.copied().unwrap_or(Quote::ZERO);
        out.push(Difference {
            basket: id,
            kind: Kind::Pnl,
            slot: None,
            journal: show(j),
            backtest: show(b),
            detail: format!("journal minus backtest: {}", n(delta.get())),
        });
    }
}

/// A decimal as the report shows it: at most 8 places, no trailing zeros (the comparison
/// itself is exact; this is only the text).
pub fn n(d: rust_decimal::Decimal) -> String {
    d.round_dp(8).normalize().to_string()
}

#[cfg(test)]
mod tests;
