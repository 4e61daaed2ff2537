//! Buy orders (`.spec/strategy.md` §3 step 4): unfilled levels nearest first, up to
//! `max_open_buys`, never at or above `last`; extension levels once every planned level is
//! complete.

use super::band::Band;
use crate::core::filters::SymbolFilters;
use crate::core::money::{Price, Qty};
use crate::core::order::OrderSpec;
use crate::core::strategy::levels::Level;
use crate::core::strategy::position::Position;

/// Quantity a level still asks for: its planned quantity minus what filled, rounded down to
/// the step; zero when that cannot form an order (below `minQty` or the notional minimum),
/// in which case the level counts as complete.
pub(super) fn remaining(level: &Level, pos: &Position, filters: &SymbolFilters) -> Qty {
    let left = (level.qty - pos.filled(level.slot)).max(Qty::ZERO);
    let qty = filters.round_qty_down(left);
    if qty.is_positive() && qty >= filters.min_qty_at(level.price) {
        qty
    } else {
        Qty::ZERO
    }
}

/// True when no planned level asks for anything more.
pub(super) fn all_complete(levels: &[Level], pos: &Position, filters: &SymbolFilters) -> bool {
    levels.iter().all(|l| remaining(l, pos, filters).is_zero())
}

/// The buy orders for `levels` (already restricted to the levels allowed to buy, nearest
/// first). Registers every open level's price in the band: whether it is placed flips when
/// `last` crosses it.
pub(super) fn buy_orders(
    levels: &[Level],
    pos: &Position,
    filters: &SymbolFilters,
    max_open_buys: Option<u16>,
    last: Price,
    band: &mut Band,
) -> Vec<OrderSpec> {
    let max = max_open_buys.map_or(usize::MAX, usize::from);
    let mut out = Vec::new();
    for level in levels {
        let qty = remaining(level, pos, filters);
        if qty.is_zero() {
            continue;
        }
        band.split_le(level.price);
        if level.price >= last || out.len() >= max {
            continue;
        }
        out.push(OrderSpec::limit(level.slot, level.price, qty));
    }
    out
}
