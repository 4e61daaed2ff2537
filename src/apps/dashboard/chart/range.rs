//! The price chart's lines for a range grid (`.spec/strategies.md`): its floor and ceiling
//! (`Lower`, `Upper`), every level price, the stop loss, and the orders the core's range plan
//! wants at the last price — the buys `Bk` below it and the sells `Sk` of the cells holding —
//! each `resting` when the exchange has it, else `planned`. A level with no order is drawn as
//! a plain `level` line, so the whole grid stays visible when the price is outside it.
//! The range grid has no anchor line and no hard stop: its prices are absolute.

use super::ChartLine;
use crate::apps::dashboard::format::Precision;
use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::SymbolRules;
use crate::core::money::Price;
use crate::core::order::Slot;
use crate::core::strategy::kind;
use crate::core::strategy::plan::Market;
use crate::core::strategy::range::{level_prices, RangeConfig};
use crate::ports::store::OrderRecord;

/// The range grid's lines at `last` (see the module doc); `range` is its table as planned
/// (with `[volatility]`, thinned at the factor frozen in the basket).
pub(super) fn lines(
    range: &RangeConfig,
    basket: &Basket,
    fills: &[Fill],
    open: &[OrderRecord],
    last: Price,
    rules: &SymbolRules,
    p: Precision,
) -> Vec<ChartLine> {
    let resting = |slot: Slot| {
        open.iter()
            .any(|o| o.basket_id == basket.id && o.slot == slot && o.report.status.is_open())
    };
    let state = |slot: Slot| if resting(slot) { "resting" } else { "planned" };
    let levels = level_prices(range, &rules.filters);
    let market = Market {
        last,
        now_ms: fills.last().map_or(basket.created_ms, |f| f.time_ms),
        reference: None,
        indicators: None,
    };
    let orders = kind::plan(&basket.config, basket, fills, &market, rules).orders;
    let mut out = Vec::new();
    let bound = |label: &str, price: Price| ChartLine {
        kind: "range",
        label: label.into(),
        price: p.price(price),
        state: "planned",
    };
    if let (Some(&lower), Some(&upper)) = (levels.first(), levels.last()) {
        out.push(bound("Lower", lower));
        out.push(bound("Upper", upper));
    }
    for (i, &price) in levels.iter().enumerate() {
        let k = u16::try_from(i + 1).unwrap_or(u16::MAX);
        let at_level: Vec<_> = orders
            .iter()
            .filter(|o| matches!(o.slot, Slot::Buy(n) | Slot::Sell(n) if n == k))
            .collect();
        for order in &at_level {
            out.push(ChartLine {
                kind: if matches!(order.slot, Slot::Buy(_)) {
                    "buy"
                } else {
                    "sell"
                },
                label: order.slot.to_string(),
                price: p.price(order.price.unwrap_or(price)),
                state: state(order.slot),
            });
        }
        // The floor and the ceiling already have their lines.
        if at_level.is_empty() && i != 0 && i + 1 != levels.len() {
            out.push(ChartLine {
                kind: "level",
                label: format!("L{k}"),
                price: p.price(price),
                state: "planned",
            });
        }
    }
    if let Some(stop) = range.stop_loss {
        out.push(ChartLine {
            kind: "stop",
            label: "Stop loss".into(),
            price: p.price(stop),
            state: "planned",
        });
    }
    for order in orders.iter().filter(|o| o.slot == Slot::Exit) {
        if let Some(price) = order.price {
            out.push(ChartLine {
                kind: "stop",
                label: order.slot.to_string(),
                price: p.price(price),
                state: state(order.slot),
            });
        }
    }
    out
}
