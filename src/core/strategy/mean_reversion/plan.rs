//! The mean reversion's pure plan: rounds replayed from the fills (`strategy::round`) →
//! the stop, the target sell or the entry buy → the filters → [`Plan`].

use super::MeanReversionConfig;
use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::{SymbolFilters, SymbolRules};
use crate::core::indicators::IndicatorSnapshot;
use crate::core::money::{Price, Qty};
use crate::core::order::OrderSpec;
use crate::core::strategy::config::StrategyConfig;
use crate::core::strategy::plan::{apply_filters, Band, Market, Plan, PlanWarning};
use crate::core::strategy::round::{self, sellable, Rounds, ENTRY, TARGET};
use crate::core::strategy::validate::clears_two_fees;
use rust_decimal::Decimal;

/// Plans one mean reversion basket. Flat: a buy at the lower band (no look at candles the
/// snapshot does not hold). Holding: the stop below the entry VWAP, else the target sell.
pub fn plan(
    config: &StrategyConfig,
    mr: &MeanReversionConfig,
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
    let holding = rounds.holding(filters);
    let mut exiting = false;
    let mut orders = match holding {
        Some((qty, vwap)) => {
            let stop = filters.round_price_down(vwap.scale(mr.stop_loss_pct.down_factor()));
            band.split_le(stop);
            if rounds.stopping || last <= stop {
                exiting = true;
                round::stop_exit(config, &rounds, filters, market, &mut band, &mut warnings)
            } else {
                let price = target(config, mr, snap, vwap, filters);
                sellable(qty, price, filters)
                    .then(|| OrderSpec::limit(TARGET, price, qty))
                    .into_iter()
                    .collect()
            }
        }
        None => {
            if snap.is_none() {
                warnings.push(PlanWarning::NoIndicators);
            }
            let cooling = rounds.last_stop_ms.is_some_and(|t| {
                let cooldown = i64::try_from(mr.cooldown_secs.saturating_mul(1000));
                market.now_ms < t.saturating_add(cooldown.unwrap_or(i64::MAX))
            });
            snap.filter(|_| !cooling)
                .and_then(|s| entry(config, mr, s, &rounds, filters, last, &mut band))
                .into_iter()
                .collect()
        }
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

/// The entry: the lower band, or one tick below the close when the close is already below
/// it, for `quote_budget` (less the dust held); only when selling at the mean clears two
/// fees. Placed iff `last` is above it.
fn entry(
    config: &StrategyConfig,
    mr: &MeanReversionConfig,
    s: &IndicatorSnapshot,
    rounds: &Rounds,
    filters: &SymbolFilters,
    last: Price,
    band: &mut Band,
) -> Option<OrderSpec> {
    let (mean, sd) = (s.mean?, s.std_dev?);
    let lower = mean.get() - mr.entry_z * sd;
    let below_close = s.close.get() - filters.price.tick_size.get();
    let price = filters.round_price_down(Price::new(lower.min(below_close)));
    if !price.is_positive()
        || clears_two_fees(mean.get() / price.get(), config.fee_pct) != Some(true)
    {
        return None;
    }
    let slice = Qty::new(config.quote_budget.get() / price.get());
    let qty = filters.round_qty_down(slice - rounds.pos.qty.max(Qty::ZERO));
    if !sellable(qty, price, filters) {
        return None;
    }
    band.split_le(price);
    (last > price).then(|| OrderSpec::limit(ENTRY, price, qty))
}

/// The target sell: the mean (or the take profit above the VWAP, whichever is lower;
/// without indicators the take profit, else breakeven), never below the price where a sell
/// clears the buy's and its own fee, rounded up to the tick.
fn target(
    config: &StrategyConfig,
    mr: &MeanReversionConfig,
    snap: Option<&IndicatorSnapshot>,
    vwap: Price,
    filters: &SymbolFilters,
) -> Price {
    let f = config.fee_pct.fraction();
    let breakeven = vwap.get() * (Decimal::ONE + f) / (Decimal::ONE - f);
    let take_profit = mr.take_profit_pct.map(|tp| vwap.get() * tp.up_factor());
    let goal = match (snap.and_then(|s| s.mean), take_profit) {
        (Some(mean), Some(tp)) => mean.get().min(tp),
        (Some(mean), None) => mean.get(),
        (None, Some(tp)) => tp,
        (None, None) => breakeven,
    };
    filters.round_price_up(Price::new(goal.max(breakeven)))
}
