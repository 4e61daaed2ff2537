//! The trend's pure plan: rounds replayed from the fills (`strategy::round`) → the trailing
//! stop while holding, the sized entry buy on a signal while flat → the filters → [`Plan`].
//!
//! The stop is watched on `last` (the band's lower bound), as the grids' hard stops are: at
//! or below it the plan is one `EXIT` limit sell, and it stays until flat.

use super::{TrendConfig, TrendEntry};
use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::{SymbolFilters, SymbolRules};
use crate::core::indicators::IndicatorSnapshot;
use crate::core::money::{Price, Qty};
use crate::core::order::OrderSpec;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::plan::{apply_filters, Band, Market, Plan, PlanWarning};
use crate::core::strategy::round::{self, sellable, Rounds, ENTRY};
use rust_decimal::Decimal;

/// Plans one trend basket.
pub fn plan(
    config: &StrategyConfig,
    t: &TrendConfig,
    basket: &Basket,
    fills: &[Fill],
    market: &Market,
    rules: &SymbolRules,
) -> Plan {
    let filters = &rules.filters;
    let last = market.last;
    let rounds = Rounds::replay(basket, fills, rules);
    let mut band = Band::new(last);
    let mut warnings = Vec::new();
    let snap = market.indicators.as_ref();
    if snap.is_none() {
        warnings.push(PlanWarning::NoIndicators);
    }
    let stop = snap.and_then(|s| trailing_stop(t, s, filters));
    let holding = rounds.holding(filters);
    let mut exiting = false;
    let mut orders = if holding.is_some() {
        if let Some(stop) = stop {
            band.split_le(stop);
        }
        if rounds.stopping || stop.is_some_and(|s| last <= s) {
            exiting = true;
            round::stop_exit(config, &rounds, filters, market, &mut band, &mut warnings)
        } else {
            Vec::new()
        }
    } else {
        snap.zip(stop)
            .and_then(|(s, stop)| entry(config, t, s, stop, &rounds, filters, last, &mut band))
            .into_iter()
            .collect()
    };
    apply_filters(filters, market, &mut orders, &mut band, &mut warnings);
    let meta = round::meta(
        &rounds.pos,
        last,
        exiting,
        holding.is_some(),
        &band,
        warnings,
    );
    Plan { orders, meta }
}

/// The chandelier stop: the channel's highest high less `atr_stop` ATRs, rounded down.
fn trailing_stop(t: &TrendConfig, s: &IndicatorSnapshot, filters: &SymbolFilters) -> Option<Price> {
    let high = s.channel_high?.get();
    let stop = high - t.atr_stop * s.atr?;
    Some(filters.round_price_down(Price::new(stop.max(Decimal::ZERO))))
}

/// Whether the newest closed candle signals an entry.
fn signal(t: &TrendConfig, s: &IndicatorSnapshot) -> bool {
    match t.entry {
        TrendEntry::Breakout => s.prior_high.is_some_and(|h| s.close > h),
        TrendEntry::MaCross => matches!((s.fast_ma, s.slow_ma), (Some(f), Some(l)) if f > l),
    }
}

/// On a signal with the close above the stop: a buy one tick below the close, of
/// `quote_budget × risk_pct / (atr_stop × ATR)` (less the dust held), at most the budget's
/// worth. Placed iff `last` is above it.
#[allow(clippy::too_many_arguments)]
fn entry(
    config: &StrategyConfig,
    t: &TrendConfig,
    s: &IndicatorSnapshot,
    stop: Price,
    rounds: &Rounds,
    filters: &SymbolFilters,
    last: Price,
    band: &mut Band,
) -> Option<OrderSpec> {
    if !signal(t, s) || s.close <= stop {
        return None;
    }
    let distance = t.atr_stop * s.atr?;
    let price = filters.round_price_down(Price::new(s.close.get() - filters.price.tick_size.get()));
    if !price.is_positive() || distance <= Decimal::ZERO {
        return None;
    }
    let budget = config.quote_budget.get();
    let risked = budget * t.risk_pct.fraction() / distance;
    let size = risked.min(budget / price.get());
    let qty = filters.round_qty_down(Qty::new(size) - rounds.pos.qty.max(Qty::ZERO));
    if !sellable(qty, price, filters) {
        return None;
    }
    band.split_le(price);
    (last > price).then(|| OrderSpec::limit(ENTRY, price, qty))
}
