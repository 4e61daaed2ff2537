//! What the plan says about the basket besides its orders (`.spec/strategy.md` §3 step 6):
//! phase, position, P&L, the reanchor suggestion, the replan band and warnings.

use super::band::Band;
use super::Market;
use crate::core::basket::Basket;
use crate::core::filters::{FilterViolation, SymbolFilters};
use crate::core::money::{Amount, Pct, Price, Qty, Quote};
use crate::core::order::Slot;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::levels::drops_and_weights;
use crate::core::strategy::position::Position;
use crate::core::strategy::trail::{self, trail_up, TrailUp};
use crate::core::symbol::Asset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Where a basket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No TP/TR sell executed yet: buying (and offering the position, if any).
    Accumulating,
    /// At least one TP/TR sell executed; the rest is being sold.
    Distributing,
    /// Hard stop: selling everything with a single `EXIT`.
    Exiting,
    /// Something was sold and what is left cannot form a sell: the basket can close.
    Done,
}

/// Something the plan could not do as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanWarning {
    /// An order broke an exchange filter and was not emitted.
    Dropped {
        /// Slot of the dropped order.
        slot: Slot,
        /// Binance filter name (`"PERCENT_PRICE_BY_SIDE"` …) or `"INVALID"`.
        filter: String,
        /// The violation text.
        detail: String,
    },
    /// The symbol has no trailing `TAKE_PROFIT_LIMIT` (or the delta is not whole BIPS):
    /// `TR` is a plain LIMIT sell at the activation price.
    TrailingUnavailable,
    /// Hard stop reached but the position is too small to sell (dust).
    ExitTooSmall {
        /// The position.
        position: Qty,
    },
    /// The strategy reads indicators and the market carried none yet (no closed candle fed,
    /// or not enough of them): it opens nothing until they come.
    NoIndicators,
}

impl PlanWarning {
    /// A [`PlanWarning::Dropped`] for `slot` from a filter violation.
    pub fn dropped(slot: Slot, violation: &FilterViolation) -> Self {
        PlanWarning::Dropped {
            slot,
            filter: violation.filter_name().unwrap_or("INVALID").to_string(),
            detail: violation.to_string(),
        }
    }
}

impl fmt::Display for PlanWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanWarning::Dropped { slot, detail, .. } => write!(f, "{slot} dropped: {detail}"),
            PlanWarning::TrailingUnavailable => {
                f.write_str("trailing stop unavailable: TR placed as a LIMIT sell")
            }
            PlanWarning::ExitTooSmall { position } => {
                write!(f, "hard stop: position {position} too small to sell")
            }
            PlanWarning::NoIndicators => {
                f.write_str("no indicators yet: waiting for enough closed candles")
            }
        }
    }
}

/// Everything the plan knows about the basket besides its orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanMeta {
    /// Phase.
    pub phase: Phase,
    /// Net base position.
    pub position: Qty,
    /// Average entry of the open position.
    pub vwap: Option<Price>,
    /// Buy levels with any fill.
    pub depth: u16,
    /// `last × position − cost`.
    pub unrealised_pnl: Quote,
    /// Realised P&L of sells, net of quote/base commissions.
    pub realised_pnl: Quote,
    /// Commissions paid in other assets (BNB), per asset.
    pub other_fees: BTreeMap<Asset, Amount>,
    /// Suggested new anchor when no fill happened yet, price is `reanchor_up_pct` above P0
    /// and the cooldown has passed: last rounded down to the tick, or with trailing up where
    /// `trail::trail_up` puts it (`None` once the trail limit is reached).
    pub reanchor: Option<Price>,
    /// When the reanchor cooldown ends (`None` once the basket has fills).
    pub reanchor_eligible_at_ms: Option<i64>,
    /// Something was sold and the rest cannot form a sell: close the basket.
    pub done: bool,
    /// Replan when last falls to or below this (`None` = never for price reasons).
    pub replan_below: Option<Price>,
    /// Replan when last rises to or above this (`None` = never for price reasons).
    pub replan_above: Option<Price>,
    /// What could not be planned as configured.
    pub warnings: Vec<PlanWarning>,
}

/// What [`build`] needs.
pub(super) struct Inputs<'a> {
    pub config: &'a StrategyConfig,
    pub basket: &'a Basket,
    pub pos: &'a Position,
    pub market: &'a Market,
    pub filters: &'a SymbolFilters,
    pub exiting: bool,
    pub done: bool,
    pub band: &'a mut Band,
    pub warnings: Vec<PlanWarning>,
}

/// Builds the meta; registers the reanchor threshold in the band.
pub(super) fn build(i: Inputs<'_>) -> PlanMeta {
    let Inputs {
        config,
        basket,
        pos,
        market,
        filters,
        exiting,
        done,
        band,
        warnings,
    } = i;
    let phase = if done {
        Phase::Done
    } else if exiting {
        Phase::Exiting
    } else if [Slot::Tp1, Slot::Tp2, Slot::Tr]
        .into_iter()
        .any(|s| pos.executed(s))
    {
        Phase::Distributing
    } else {
        Phase::Accumulating
    };
    let (reanchor, reanchor_eligible_at_ms) = reanchor(config, basket, pos, market, filters, band);
    let (replan_below, replan_above) = band.bounds();
    PlanMeta {
        phase,
        position: pos.qty,
        vwap: pos.vwap(),
        depth: pos.depth(),
        unrealised_pnl: pos.unrealised_pnl(market.last),
        realised_pnl: pos.realised_pnl,
        other_fees: pos.other_fees.clone(),
        reanchor,
        reanchor_eligible_at_ms,
        done,
        replan_below,
        replan_above,
        warnings,
    }
}

/// The reanchor suggestion and when the cooldown ends; only while the basket has no fill.
fn reanchor(
    config: &StrategyConfig,
    basket: &Basket,
    pos: &Position,
    market: &Market,
    filters: &SymbolFilters,
    band: &mut Band,
) -> (Option<Price>, Option<i64>) {
    if pos.fill_count > 0 {
        return (None, None);
    }
    let cooldown_ms =
        i64::try_from(config.reanchor_cooldown_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let eligible_at = basket.created_ms.saturating_add(cooldown_ms);
    let threshold = basket.anchor.scale(config.reanchor_up_pct.up_factor());
    band.split_lt(threshold);
    let anchor = match config.trail_up_max_pct {
        None => Some(filters.round_price_down(market.last)),
        Some(max_up) => trail_up_anchor(config, basket, max_up, market.last, filters),
    };
    let suggest = market.last >= threshold && market.now_ms >= eligible_at;
    (anchor.filter(|_| suggest), Some(eligible_at))
}

/// With trailing up on, the reanchor goes where `trail::trail_up` says (the first level at the
/// price, the anchor within its limit), or nowhere at the limit.
fn trail_up_anchor(
    config: &StrategyConfig,
    basket: &Basket,
    max_up: Pct,
    last: Price,
    filters: &SymbolFilters,
) -> Option<Price> {
    let first_drop = drops_and_weights(&config.levels).first()?.0;
    let up = TrailUp {
        max_up,
        trigger: config.reanchor_up_pct,
        first_drop,
    };
    trail_up(basket.anchor, trail::root(basket), last, up, filters)
}
