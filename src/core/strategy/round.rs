//! One position at a time, replayed from the fills — the state the mean reversion and trend
//! strategies share: a round opens with the first buy from flat and ends when a sell leaves
//! less than a sellable quantity (dust rides into the next round, as in the range grid).
//!
//! Slots (client ids `{prefix}{basket}-{slot}-{rev}`, as the range grid's): the entry buy is
//! `B1`, a target sell `S2`, the stop `EXIT`. Each round places them again with the next
//! revision, so crash recovery and idempotence are the basket grid's.

use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::{SymbolFilters, SymbolRules};
use crate::core::money::{Price, Qty};
use crate::core::order::{OrderSpec, Side, Slot};
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::plan::sells::exit_order;
use crate::core::strategy::plan::{Band, Market, Phase, PlanMeta, PlanWarning};
use crate::core::strategy::position::Position;

/// The entry buy's slot.
pub(crate) const ENTRY: Slot = Slot::Buy(1);
/// The target sell's slot.
pub(crate) const TARGET: Slot = Slot::Sell(2);

/// The replayed rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rounds {
    /// The whole position (dust of earlier rounds included).
    pub pos: Position,
    /// An `EXIT` sold in the current round: the stop goes on until flat, whatever the price.
    pub stopping: bool,
    /// Time of the newest `EXIT` fill, Unix ms.
    pub last_stop_ms: Option<i64>,
}

impl Rounds {
    /// Replays `fills` (any order; by time, then trade id).
    pub(crate) fn replay(basket: &Basket, fills: &[Fill], rules: &SymbolRules) -> Self {
        let filters = &rules.filters;
        let (mut stopping, mut last_stop_ms) = (false, None);
        let pos = Position::replay(
            basket,
            fills,
            &rules.base_asset,
            &rules.quote_asset,
            |fill, pos| {
                if fill.slot == Slot::Exit {
                    stopping = true;
                    last_stop_ms = Some(fill.time_ms);
                }
                if fill.side == Side::Sell && !sellable(pos.qty, fill.price, filters) {
                    stopping = false;
                }
            },
        );
        Self {
            pos,
            stopping,
            last_stop_ms,
        }
    }

    /// The position held, when it is more than dust (sellable at its VWAP), with its VWAP.
    pub(crate) fn holding(&self, filters: &SymbolFilters) -> Option<(Qty, Price)> {
        let vwap = self.pos.vwap()?;
        let qty = filters.round_qty_down(self.pos.qty);
        sellable(qty, vwap, filters).then_some((qty, vwap))
    }
}

/// The stop's exit of a one-position strategy: one `EXIT` limit sell of the whole position
/// (`plan::sells::exit_order`), its price following `last` (the band collapses), with a
/// warning when the position cannot form one.
pub(crate) fn stop_exit(
    config: &StrategyConfig,
    rounds: &Rounds,
    filters: &SymbolFilters,
    market: &Market,
    band: &mut Band,
    warnings: &mut Vec<PlanWarning>,
) -> Vec<OrderSpec> {
    band.collapse();
    let reference = market.reference.unwrap_or(market.last);
    let exit = exit_order(config, &rounds.pos, filters, market.last, reference);
    if exit.is_none() {
        warnings.push(PlanWarning::ExitTooSmall {
            position: rounds.pos.qty,
        });
    }
    exit.into_iter().collect()
}

/// True when `qty` (floored to the step) can be an order at `price`.
pub(crate) fn sellable(qty: Qty, price: Price, filters: &SymbolFilters) -> bool {
    let qty = filters.round_qty_down(qty.max(Qty::ZERO));
    price.is_positive() && qty.is_positive() && qty >= filters.min_qty_at(price)
}

/// The plan's meta for a one-position strategy: never done (it trades until stopped by the
/// operator), no reanchor, depth 1 while holding.
pub(crate) fn meta(
    pos: &Position,
    last: Price,
    exiting: bool,
    holding: bool,
    band: &Band,
    warnings: Vec<PlanWarning>,
) -> PlanMeta {
    let (replan_below, replan_above) = band.bounds();
    PlanMeta {
        phase: if exiting {
            Phase::Exiting
        } else {
            Phase::Accumulating
        },
        position: pos.qty,
        vwap: pos.vwap(),
        depth: u16::from(holding),
        unrealised_pnl: pos.unrealised_pnl(last),
        realised_pnl: pos.realised_pnl,
        other_fees: pos.other_fees.clone(),
        reanchor: None,
        reanchor_eligible_at_ms: None,
        done: false,
        replan_below,
        replan_above,
        warnings,
    }
}
