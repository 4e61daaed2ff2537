//! The range grid's pure plan (`.spec/strategies.md` §2): the grid replayed from its fills
//! (`cells.rs`) → the orders its cells want, the stop loss, the filters → [`Plan`].

use super::cells::{placeable, Setup, State};
use super::{level_prices, RangeConfig};
use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::SymbolRules;
use crate::core::money::Qty;
use crate::core::order::{OrderSpec, Slot};
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::plan::sells::exit_order;
use crate::core::strategy::plan::{
    apply_filters, Band, Market, Phase, Plan, PlanMeta, PlanWarning,
};
use crate::core::strategy::position::Position;

/// Plans one range grid basket. `config` carries the shared keys (budget, fees, exit
/// slippage), `range` the grid; the basket's anchor is the start price. Assumes a validated
/// configuration, never panics on others.
pub fn plan(
    config: &StrategyConfig,
    range: &RangeConfig,
    basket: &Basket,
    fills: &[Fill],
    market: &Market,
    rules: &SymbolRules,
) -> Plan {
    let filters = &rules.filters;
    let last = market.last;
    let pos = Position::from_fills(basket, fills, &rules.base_asset, &rules.quote_asset);
    let prices = level_prices(range, filters);
    let grid = Setup {
        prices: &prices,
        anchor: basket.anchor,
        budget: config.quote_budget,
        reinvest: range.reinvest,
        filters,
        base: &rules.base_asset,
        quote: &rules.quote_asset,
    }
    .replay(fills);
    let mut band = Band::new(last);
    let mut warnings = Vec::new();

    let stop_hit = range.stop_loss.is_some_and(|s| last <= s);
    if let Some(stop) = range.stop_loss {
        band.split_le(stop);
    }
    let stopping = stop_hit || pos.executed(Slot::Exit);
    let (mut orders, done) = if stopping {
        // Below the stop, or once its exit sold: sell everything, buy nothing, then end.
        band.collapse();
        let reference = market.reference.unwrap_or(last);
        let exit = exit_order(config, &pos, filters, last, reference);
        if exit.is_none() && pos.qty.is_positive() {
            warnings.push(PlanWarning::ExitTooSmall { position: pos.qty });
        }
        let done = exit.is_none();
        (exit.into_iter().collect(), done)
    } else {
        (
            cell_orders(&grid.cells, &pos, filters, last, &mut band),
            false,
        )
    };
    apply_filters(filters, market, &mut orders, &mut band, &mut warnings);

    let holding = grid
        .cells
        .iter()
        .filter(|c| c.state == State::Selling)
        .count();
    let (replan_below, replan_above) = band.bounds();
    let meta = PlanMeta {
        phase: if done {
            Phase::Done
        } else if stopping {
            Phase::Exiting
        } else {
            Phase::Accumulating
        },
        position: pos.qty,
        vwap: pos.vwap(),
        depth: u16::try_from(holding).unwrap_or(u16::MAX),
        unrealised_pnl: pos.unrealised_pnl(last),
        realised_pnl: pos.realised_pnl,
        other_fees: pos.other_fees.clone(),
        reanchor: None,
        reanchor_eligible_at_ms: None,
        done,
        replan_below,
        replan_above,
        warnings,
    };
    Plan { orders, meta }
}

/// Buys of Buying cells below `last`, nearest first, then the sells of Selling cells from the
/// lowest up, together capped by the position (floored to the step).
fn cell_orders(
    cells: &[super::cells::Cell],
    pos: &Position,
    filters: &crate::core::filters::SymbolFilters,
    last: crate::core::money::Price,
    band: &mut Band,
) -> Vec<OrderSpec> {
    let mut orders = Vec::new();
    for cell in cells.iter().rev().filter(|c| c.state == State::Buying) {
        let rest = filters.round_qty_down(cell.target - cell.bought);
        if !placeable(rest, cell.buy, filters) {
            continue;
        }
        // Placed iff last > price: never a buy at or above last.
        band.split_le(cell.buy);
        if last > cell.buy {
            orders.push(OrderSpec::limit(Slot::Buy(cell.k), cell.buy, rest));
        }
    }
    let mut available = filters.round_qty_down(pos.qty.max(Qty::ZERO));
    for cell in cells.iter().filter(|c| c.state == State::Selling) {
        let qty = filters.round_qty_down(cell.held.max(Qty::ZERO).min(available));
        if placeable(qty, cell.sell, filters) {
            orders.push(OrderSpec::limit(Slot::Sell(cell.k + 1), cell.sell, qty));
            available -= qty;
        }
    }
    orders
}
