//! Checks against the symbol's exchange rules: would Binance accept every order this config
//! can place, anchored at `anchor`, with the free quote balance at hand?
//!
//! Run [`super::validate`] first: on a config whose grid is unusable (overflow, drops ≥ 100 %)
//! the level checks here are skipped rather than computed on nonsense.
//!
//! Not checked here, because it depends on the price at placement time rather than on the
//! config: `PERCENT_PRICE_BY_SIDE` (the planner holds back levels outside the band).

use super::{checked_drops, Checks};
use crate::core::filters::{NotionalKind, SymbolFilters, SymbolRules, SymbolStatus};
use crate::core::money::{Price, Quote};
use crate::core::order::OrderType;
use crate::core::strategy::config::{ConfigError, Rule, StrategyConfig};
use crate::core::strategy::levels::{extension_levels, planned_levels, Level};
use rust_decimal::Decimal;

/// Open sell orders a basket can hold at once: TP1, TP2 and the trailing stop TR.
const MAX_SELLS: usize = 3;
/// Of those, stop orders (counted by `MAX_NUM_ALGO_ORDERS`): the trailing stop TR.
const MAX_ALGO: usize = 1;

/// Checks the config against `rules` (the symbol's exchange rules; `None` = unknown symbol),
/// an anchor price and, when known, the free quote balance. Returns every problem found.
pub fn validate_for_market(
    config: &StrategyConfig,
    rules: Option<&SymbolRules>,
    anchor: Price,
    free_quote: Option<Quote>,
) -> Result<(), Vec<ConfigError>> {
    let mut c = Checks::default();
    let symbol = &config.symbol;
    let Some(rules) = rules.filter(|r| r.symbol == *symbol) else {
        let detail = rules.map(|r| format!("the rules given are for {}", r.symbol));
        c.push(
            "symbol",
            Rule::UnknownSymbol,
            format!("symbol = {symbol}"),
            detail,
        );
        return c.finish();
    };
    if rules.status != SymbolStatus::Trading {
        c.push(
            "symbol",
            Rule::NotTrading,
            format!("symbol = {symbol}"),
            Some(format!("status {:?}", rules.status)),
        );
    }
    for needed in [OrderType::Limit, OrderType::TakeProfitLimit] {
        if !rules.order_types.contains(&needed) {
            c.push(
                "symbol",
                Rule::OrderTypeNotAllowed,
                format!("symbol = {symbol}"),
                Some(format!("{} is not in orderTypes", needed.as_str())),
            );
        }
    }
    check_trailing(&mut c, config, rules);
    if !anchor.is_positive() {
        c.push("anchor", Rule::Positive, format!("anchor = {anchor}"), None);
        return c.finish();
    }
    let levels = grid_usable(config).then(|| check_levels(&mut c, config, anchor, &rules.filters));
    if let Some((planned, ext)) = &levels {
        check_hard_stop(&mut c, config, anchor, planned, ext);
        check_counts(&mut c, config, &rules.filters, planned.len(), ext.len());
    }
    if let Some(free) = free_quote {
        check_budget(&mut c, config, rules, free);
    }
    c.finish()
}

/// Whether the level generator can run without overflow or non-positive prices.
fn grid_usable(config: &StrategyConfig) -> bool {
    let Some(dw) = checked_drops(&config.levels) else {
        return false;
    };
    let ext_drop = config.extension.as_ref().map_or(Some(Decimal::ZERO), |e| {
        e.step_pct.get().checked_mul(Decimal::from(e.levels))
    });
    let deepest = dw.last().map(|(d, _)| *d).unwrap_or_default();
    let weights_ok = dw
        .iter()
        .all(|(d, w)| *d > Decimal::ZERO && *w > Decimal::ZERO);
    let budget_ok = config.quote_budget.is_positive()
        && config
            .extension
            .as_ref()
            .is_none_or(|e| e.budget_pct.is_positive());
    match ext_drop.and_then(|e| e.checked_add(deepest)) {
        Some(total) => weights_ok && budget_ok && total < Decimal::ONE_HUNDRED,
        None => false,
    }
}

/// Checks price, quantity and notional of every planned and extension level.
fn check_levels(
    c: &mut Checks,
    config: &StrategyConfig,
    anchor: Price,
    filters: &SymbolFilters,
) -> (Vec<Level>, Vec<Level>) {
    let planned = planned_levels(config, anchor, filters);
    let ext = extension_levels(config, anchor, filters);
    let expected = checked_drops(&config.levels).map_or(0, |d| d.len());
    if planned.len() < expected {
        // `levels` drops levels whose price rounds to zero or below.
        let slot = planned.len() + 1;
        c.push(
            "levels",
            Rule::BelowMinPrice,
            format!("B{slot} at anchor {anchor}"),
            Some("its price rounds to zero".into()),
        );
    }
    for (key, level) in planned
        .iter()
        .map(|l| ("levels", l))
        .chain(ext.iter().map(|l| ("extension", l)))
    {
        check_level(c, key, level, filters);
    }
    (planned, ext)
}

fn check_level(c: &mut Checks, key: &str, l: &Level, filters: &SymbolFilters) {
    let subject = format!(
        "{} (drop {} %, price {}, qty {})",
        l.slot,
        (l.drop * Decimal::ONE_HUNDRED).normalize(),
        l.price,
        l.qty
    );
    let p = &filters.price;
    if p.min_price.is_positive() && l.price < p.min_price {
        let detail = format!("minPrice {}", p.min_price);
        c.push(key, Rule::BelowMinPrice, subject.clone(), Some(detail));
    }
    if p.max_price.is_positive() && l.price > p.max_price {
        let detail = format!("maxPrice {}", p.max_price);
        c.push(key, Rule::AboveMaxPrice, subject.clone(), Some(detail));
    }
    let lot = &filters.lot;
    if l.qty < lot.min_qty || !l.qty.is_positive() {
        let detail = format!(
            "quote {} buys {} before rounding; minQty {}",
            l.quote.get().round_dp(8).normalize(),
            (l.quote / l.price).get().round_dp(8).normalize(),
            lot.min_qty
        );
        c.push(key, Rule::BelowMinQty, subject.clone(), Some(detail));
    }
    if lot.max_qty.is_positive() && l.qty > lot.max_qty {
        let detail = format!("maxQty {}", lot.max_qty);
        c.push(key, Rule::AboveMaxQty, subject.clone(), Some(detail));
    }
    let Some(n) = &filters.notional else { return };
    let name = match n.kind {
        NotionalKind::MinNotional => "MIN_NOTIONAL",
        NotionalKind::Notional => "NOTIONAL",
    };
    let notional = l.price * l.qty;
    if notional < n.min_notional {
        let short = n.min_notional - notional;
        let detail = format!(
            "notional {} is {} below {name} minNotional {}",
            notional.get().normalize(),
            short.get().normalize(),
            n.min_notional
        );
        c.push(key, Rule::BelowMinNotional, subject.clone(), Some(detail));
    }
    if let Some(max) = n.max_notional.filter(|m| m.is_positive() && notional > *m) {
        let detail = format!(
            "notional {} above {name} maxNotional {max}",
            notional.get().normalize()
        );
        c.push(key, Rule::AboveMaxNotional, subject, Some(detail));
    }
}

/// The exit trigger `P0 × (1 − hard_stop)` must sit below the deepest level's *rounded* price,
/// or the hard stop could fire before that level can fill.
fn check_hard_stop(
    c: &mut Checks,
    config: &StrategyConfig,
    anchor: Price,
    planned: &[Level],
    ext: &[Level],
) {
    let Some(deepest) = ext.last().or(planned.last()) else {
        return;
    };
    let trigger = anchor.scale(config.hard_stop_pct.down_factor());
    if trigger >= deepest.price {
        c.push(
            "hard_stop_pct",
            Rule::HardStopBelowDeepest,
            format!("hard_stop_pct = {}", config.hard_stop_pct),
            Some(format!(
                "the exit triggers at {} but {} buys at {}",
                trigger.get().normalize(),
                deepest.slot,
                deepest.price
            )),
        );
    }
}

fn check_trailing(c: &mut Checks, config: &StrategyConfig, rules: &SymbolRules) {
    let delta = config.trail_delta_pct;
    if !rules.allow_trailing_stop {
        let subject = format!("trail_delta_pct = {delta}, symbol = {}", config.symbol);
        c.push("trail_delta_pct", Rule::TrailingNotAllowed, subject, None);
        return;
    }
    let Some(t) = &rules.filters.trailing_delta else {
        return;
    };
    // TR is a SELL TAKE_PROFIT_LIMIT (see .spec/strategy.md): Binance checks it against the
    // "Above" bounds.
    let bips = delta.get() * Decimal::ONE_HUNDRED;
    let (min, max) = (Decimal::from(t.min_above), Decimal::from(t.max_above));
    if bips < min || bips > max {
        c.push(
            "trail_delta_pct",
            Rule::TrailingDeltaOutOfRange,
            format!("trail_delta_pct = {delta}"),
            Some(format!(
                "{} BIPS outside [{min}, {max}] (minTrailingAboveDelta, maxTrailingAboveDelta)",
                bips.normalize()
            )),
        );
    }
}

fn check_counts(
    c: &mut Checks,
    config: &StrategyConfig,
    filters: &SymbolFilters,
    planned: usize,
    ext: usize,
) {
    // Extension buys only open once every planned level filled, so the two never rest together.
    let buys = planned.max(ext);
    let buys = config
        .max_open_buys
        .map_or(buys, |m| buys.min(usize::from(m)));
    let total = buys + MAX_SELLS;
    if let Some(max) = filters.max_num_orders.filter(|m| total > *m as usize) {
        c.push(
            "max_open_buys",
            Rule::TooManyOrders,
            format!("max_open_buys = {}", opt(config.max_open_buys)),
            Some(format!(
                "{buys} buys + {MAX_SELLS} sells = {total} open orders, MAX_NUM_ORDERS {max}"
            )),
        );
    }
    if let Some(max) = filters
        .max_num_algo_orders
        .filter(|m| MAX_ALGO > *m as usize)
    {
        c.push(
            "trail_delta_pct",
            Rule::TooManyAlgoOrders,
            format!("trail_delta_pct = {}", config.trail_delta_pct),
            Some(format!(
                "the trailing stop needs {MAX_ALGO}, MAX_NUM_ALGO_ORDERS {max}"
            )),
        );
    }
}

fn opt(v: Option<u16>) -> String {
    v.map_or_else(|| "all".into(), |v| v.to_string())
}

fn check_budget(c: &mut Checks, config: &StrategyConfig, rules: &SymbolRules, free: Quote) {
    let budget = config.quote_budget;
    let reserve = config
        .extension
        .as_ref()
        .and_then(|e| budget.get().checked_mul(e.budget_pct.fraction()))
        .unwrap_or_default();
    let Some(needed) = budget.get().checked_add(reserve) else {
        return;
    };
    if needed > free.get() {
        let subject = if reserve.is_zero() {
            format!("quote_budget = {budget}")
        } else {
            format!(
                "quote_budget = {budget} + extension reserve {}",
                reserve.normalize()
            )
        };
        c.push(
            "quote_budget",
            Rule::BudgetExceedsBalance,
            subject,
            Some(format!(
                "needs {} {q}, free {free} {q}, short by {}",
                needed.normalize(),
                (needed - free.get()).normalize(),
                q = rules.quote_asset
            )),
        );
    }
}
