//! The pure grid plan (`.spec/strategy.md` §3): basket + fills + market → the orders the
//! basket wants on the book, and what it knows about itself.
//!
//! Entry point: [`plan`]. No I/O, no clock, no randomness. Steps, in order: levels
//! ([`crate::core::strategy::levels`]), position ([`Position::from_fills`]), protections
//! (hard stop → a single `EXIT`), buys (`buys.rs`), sells (`sells.rs`), filter checks, meta
//! (`meta.rs`).
//!
//! # Invariants (checked by `proptests.rs`, numbered as there)
//!
//! 1. Every emitted order passes `rules.filters.check(order, reference)` with
//!    `reference = market.reference.unwrap_or(market.last)`, and the set passes
//!    `check_counts`; an order that does not is dropped with a [`PlanWarning`].
//! 2. The sell quantities together never exceed the position.
//! 3. No buy is at or above `market.last`.
//! 4. The plan is deterministic: the same inputs give the same plan.
//! 5. Replan band: for every `x` with `replan_below < x < replan_above` (`None` =
//!    unbounded), the plan at `last = x` has the same orders, phase, `done` and
//!    `reanchor.is_some()` as the plan at `market.last`; and `replan_below ≤ last ≤
//!    replan_above`.
//! 6. At most one order per slot.

pub(crate) mod band;
mod buys;
mod meta;
pub(crate) mod sells;

pub use meta::{Phase, PlanMeta, PlanWarning};

use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::{SymbolFilters, SymbolRules};
use crate::core::indicators::IndicatorSnapshot;
use crate::core::money::Price;
use crate::core::order::{OrderSpec, OrderType, Side, Slot};
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::levels::{extension_levels, planned_levels};
use crate::core::strategy::position::Position;
pub(crate) use band::Band;
use serde::{Deserialize, Serialize};

/// The market as the plan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Market {
    /// Last trade price.
    pub last: Price,
    /// Current time, Unix ms (only the reanchor cooldown uses it).
    pub now_ms: i64,
    /// Price `PERCENT_PRICE_BY_SIDE` is measured against (Binance's reference or average
    /// price); `None` uses `last`.
    pub reference: Option<Price>,
    /// The indicators the strategy asked for (`kind::indicator_spec`), after the newest
    /// closed candle; `None` for the grids, and before the caller fed any candle.
    #[serde(default)]
    pub indicators: Option<IndicatorSnapshot>,
}

/// The plan: desired orders (buys nearest first, then TP1, TP2, TR or the EXIT) and meta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Orders the basket wants resting; quantities are what is still to fill.
    pub orders: Vec<OrderSpec>,
    /// Phase, position, P&L, reanchor suggestion, replan band, warnings.
    pub meta: PlanMeta,
}

/// Plans one basket. `config` is the basket's frozen configuration (assumed validated),
/// `fills` its executions, `rules` the symbol's rules (filters and base/quote assets).
pub fn plan(
    config: &StrategyConfig,
    basket: &Basket,
    fills: &[Fill],
    market: &Market,
    rules: &SymbolRules,
) -> Plan {
    let filters = &rules.filters;
    let last = market.last;
    let pos = Position::from_fills(basket, fills, &rules.base_asset, &rules.quote_asset);
    let mut band = Band::new(last);
    let mut warnings = Vec::new();

    let hard_stop = basket.anchor.scale(config.hard_stop_pct.down_factor());
    let exiting = pos.qty.is_positive() && (last <= hard_stop || pos.executed(Slot::Exit));
    let reference = market.reference.unwrap_or(last);
    let (mut orders, done) = if exiting {
        // The EXIT price follows `last`: every move needs a new plan.
        band.collapse();
        let exit = sells::exit_order(config, &pos, filters, last, reference);
        let done = pos.sold_any() && exit.is_none();
        if exit.is_none() && !done {
            warnings.push(PlanWarning::ExitTooSmall { position: pos.qty });
        }
        (exit.into_iter().collect::<Vec<_>>(), done)
    } else {
        if pos.qty.is_positive() {
            band.split_le(hard_stop);
        }
        let trailing =
            rules.allow_trailing_stop && rules.order_types.contains(&OrderType::TakeProfitLimit);
        let sold = sells::distribution_orders(config, &pos, filters, trailing, last, &mut band);
        let done = pos.sold_any() && sold.orders.is_empty();
        if sold.trailing_unavailable && sold.orders.iter().any(|o| o.slot == Slot::Tr) {
            warnings.push(PlanWarning::TrailingUnavailable);
        }
        let mut orders = if done {
            Vec::new()
        } else {
            planned_buys(config, basket, &pos, filters, last, &mut band)
        };
        if !done {
            orders.extend(sold.orders);
        }
        (orders, done)
    };

    apply_filters(filters, market, &mut orders, &mut band, &mut warnings);

    let meta = meta::build(meta::Inputs {
        config,
        basket,
        pos: &pos,
        market,
        filters,
        exiting,
        done,
        band: &mut band,
        warnings,
    });
    Plan { orders, meta }
}

/// The buys allowed in the current state: none after TP1 with breakeven; planned levels,
/// then the extension levels once every planned level is complete.
fn planned_buys(
    config: &StrategyConfig,
    basket: &Basket,
    pos: &Position,
    filters: &SymbolFilters,
    last: Price,
    band: &mut Band,
) -> Vec<OrderSpec> {
    if config.breakeven_after_tp1 && pos.executed(Slot::Tp1) {
        return Vec::new();
    }
    let mut levels = planned_levels(config, basket.anchor, filters);
    if buys::all_complete(&levels, pos, filters) {
        levels.extend(extension_levels(config, basket.anchor, filters));
    }
    buys::buy_orders(&levels, pos, filters, config.max_open_buys, last, band)
}

/// Step 6 of the plan, shared by every strategy: registers the percent-price thresholds in
/// the band (without a reference), drops each order a filter refuses and then orders until
/// the set passes the count filters, with a [`PlanWarning`] for each.
pub(crate) fn apply_filters(
    filters: &SymbolFilters,
    market: &Market,
    orders: &mut Vec<OrderSpec>,
    band: &mut Band,
    warnings: &mut Vec<PlanWarning>,
) {
    let reference = market.reference.unwrap_or(market.last);
    if market.reference.is_none() {
        for order in orders.iter() {
            percent_thresholds(filters, order, band);
        }
    }
    orders.retain(|order| match filters.check(order, Some(reference)) {
        Ok(()) => true,
        Err(violation) => {
            warnings.push(PlanWarning::dropped(order.slot, &violation));
            false
        }
    });
    enforce_counts(filters, orders, warnings);
}

/// With no reference price the percent band is measured against `last`: an order at `p`
/// passes while `p / multiplier_up ≤ last ≤ p / multiplier_down`.
fn percent_thresholds(filters: &SymbolFilters, order: &OrderSpec, band: &mut Band) {
    let (Some(pp), Some(price)) = (&filters.percent_price, order.price) else {
        return;
    };
    let (up, down) = match order.side {
        Side::Buy => (pp.bid_multiplier_up, pp.bid_multiplier_down),
        Side::Sell => (pp.ask_multiplier_up, pp.ask_multiplier_down),
    };
    if up.is_sign_positive() && !up.is_zero() {
        band.split_lt(Price::new(price.get() / up));
    }
    if down.is_sign_positive() && !down.is_zero() {
        band.split_le(Price::new(price.get() / down));
    }
}

/// Drops orders until the set passes `MAX_NUM_ORDERS` / `MAX_NUM_ALGO_ORDERS`: the farthest
/// buys first, then sells from the last (TR) backwards; stop orders first for the algo limit.
fn enforce_counts(
    filters: &SymbolFilters,
    orders: &mut Vec<OrderSpec>,
    warnings: &mut Vec<PlanWarning>,
) {
    while let Err(violation) = filters.check_counts(orders) {
        let algo = violation.filter_name() == Some("MAX_NUM_ALGO_ORDERS");
        let victim = if algo {
            orders.iter().rposition(|o| o.order_type.is_algo())
        } else {
            orders
                .iter()
                .rposition(|o| o.side == Side::Buy)
                .or(orders.len().checked_sub(1))
        };
        let Some(i) = victim else { break };
        let order = orders.remove(i);
        warnings.push(PlanWarning::dropped(order.slot, &violation));
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
