//! The chart lines of a strategy that trades on indicators (mean reversion, trend): none of
//! the basket grid's anchor, hard stop or ladder (it has none), only the orders of the basket
//! resting on the exchange — the entry buy, the target sell, the stop's exit. Their prices
//! come from indicators the bot computes from the candles; the dashboard does not recompute
//! them, it shows what the bot placed.

use super::ChartLine;
use crate::apps::dashboard::format::Precision;
use crate::core::basket::Basket;
use crate::core::order::{Side, Slot};
use crate::ports::store::OrderRecord;

pub(super) fn lines(basket: &Basket, open: &[OrderRecord], p: Precision) -> Vec<ChartLine> {
    open.iter()
        .filter(|o| o.basket_id == basket.id && o.report.status.is_open())
        .filter_map(|o| {
            let price = o.report.spec.stop_price.or(o.report.spec.price)?;
            let kind = match (o.slot, o.report.side) {
                (Slot::Exit, _) => "stop",
                (_, Side::Buy) => "buy",
                (_, Side::Sell) => "sell",
            };
            Some(ChartLine {
                kind,
                label: o.slot.to_string(),
                price: p.price(price),
                state: "resting",
            })
        })
        .collect()
}
