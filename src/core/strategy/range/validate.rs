//! Range grid validation (`.spec/strategies.md` §3): the static rules, then the feasibility
//! preflight against the symbol's rules — fees against the step, every level's order inside
//! the filters (buy slice and the sell of it net of the fee), the order count, the budget.
//!
//! "Clears two fees" is the basket grid's exact condition (`validate` invariant 2): a sell one
//! level up, `ratio = p(k+1) / p(k)`, nets more than the buy and its fee when
//! `ratio × (1 − f) > 1 + f`. The smallest ratio is checked (the top cell for arithmetic
//! spacing, every cell alike for geometric), statically on the exact prices and in the
//! preflight again on the prices rounded to the tick.

use super::cells::placeable;
use super::levels::raw_prices;
use super::{level_prices, RangeConfig};
use crate::core::filters::{SymbolFilters, SymbolRules, SymbolStatus};
use crate::core::money::{Pct, Price, Qty, Quote};
use crate::core::order::OrderType;
use crate::core::strategy::config::{ConfigError, Rule, StrategyConfig};
use crate::core::strategy::validate::{clears_two_fees, fee_ok, two_fee_detail, Checks};
use rust_decimal::Decimal;

/// Checks every static rule of a range grid and returns all broken ones.
pub fn validate(config: &StrategyConfig, range: &RangeConfig) -> Result<(), Vec<ConfigError>> {
    let mut c = Checks::default();
    c.positive("quote_budget", config.quote_budget.get());
    let lower_ok = c.positive("range.lower", range.lower.get());
    let upper_ok = c.positive("range.upper", range.upper.get());
    if lower_ok && upper_ok && range.lower >= range.upper {
        c.push(
            "range.lower",
            Rule::RangeLowerBelowUpper,
            format!(
                "range.lower = {}, range.upper = {}",
                range.lower, range.upper
            ),
            None,
        );
    }
    if range.levels < 2 {
        c.push(
            "range.levels",
            Rule::RangeAtLeastTwoLevels,
            format!("range.levels = {}", range.levels),
            None,
        );
    }
    if let Some(stop) = range.stop_loss {
        if c.positive("range.stop_loss", stop.get()) && lower_ok && stop >= range.lower {
            c.push(
                "range.stop_loss",
                Rule::RangeStopBelowLower,
                format!("range.stop_loss = {stop}, range.lower = {}", range.lower),
                None,
            );
        }
    }
    c.pct_between_0_and_100("exit_slippage_pct", config.exit_slippage_pct);
    let fee = config.fee_pct;
    // The step against two fees only once the fee itself is valid.
    if c.fee(fee) {
        if let Some(raw) = raw_prices(range) {
            let prices: Vec<Price> = raw.into_iter().map(Price::new).collect();
            check_step(&mut c, &prices, fee);
        } else if range.levels >= 2 && lower_ok && upper_ok && range.lower < range.upper {
            c.push(
                "range.levels",
                Rule::TooLarge,
                format!("range.levels = {}", range.levels),
                None,
            );
        }
    }
    c.finish()
}

/// The smallest step must clear two fees.
fn check_step(c: &mut Checks, prices: &[Price], fee: Pct) {
    let worst = prices
        .windows(2)
        .zip(1u16..)
        .filter(|(w, _)| w[0].is_positive())
        .map(|(w, k)| (w[1].get() / w[0].get(), k))
        .min_by(|a, b| a.0.cmp(&b.0));
    let Some((ratio, k)) = worst else { return };
    if clears_two_fees(ratio, fee) != Some(true) {
        c.push(
            "range.levels",
            Rule::RangeStepClearsFees,
            format!(
                "B{k} at {} → S{} at {}: step {} %, fee_pct = {fee}",
                prices[usize::from(k) - 1],
                k + 1,
                prices[usize::from(k)],
                ((ratio - Decimal::ONE) * Decimal::ONE_HUNDRED)
                    .round_dp(4)
                    .normalize()
            ),
            Some(two_fee_detail(fee)),
        );
    }
}

/// The feasibility preflight: would Binance take every order this grid can place, started at
/// `anchor`, with the free quote balance at hand? Run [`validate`] first.
pub fn validate_for_market(
    config: &StrategyConfig,
    range: &RangeConfig,
    rules: Option<&SymbolRules>,
    anchor: Price,
    free_quote: Option<Quote>,
) -> Result<(), Vec<ConfigError>> {
    let mut c = Checks::default();
    let symbol = &config.symbol;
    let Some(rules) = rules.filter(|r| r.symbol == *symbol) else {
        let detail = rules.map(|r| format!("the rules given are for {}", r.symbol));
        let subject = format!("symbol = {symbol}");
        c.push("symbol", Rule::UnknownSymbol, subject, detail);
        return c.finish();
    };
    if rules.status != SymbolStatus::Trading {
        let detail = Some(format!("status {:?}", rules.status));
        c.push(
            "symbol",
            Rule::NotTrading,
            format!("symbol = {symbol}"),
            detail,
        );
    }
    if !rules.order_types.contains(&OrderType::Limit) {
        let detail = Some("LIMIT is not in orderTypes".to_string());
        let subject = format!("symbol = {symbol}");
        c.push("symbol", Rule::OrderTypeNotAllowed, subject, detail);
    }
    if !anchor.is_positive() {
        c.push("anchor", Rule::Positive, format!("anchor = {anchor}"), None);
        return c.finish();
    }
    let filters = &rules.filters;
    let prices = level_prices(range, filters);
    if prices.len() >= 2 && fee_ok(config.fee_pct) {
        if let Some((k, p)) = prices
            .windows(2)
            .zip(1u16..)
            .find(|(w, _)| w[0] >= w[1])
            .map(|(w, k)| (k, w[0]))
        {
            c.push(
                "range.levels",
                Rule::RangeLevelsDistinct,
                format!("levels {k} and {} both at {p}", k + 1),
                Some(format!("tick size {}", filters.price.tick_size)),
            );
        } else {
            check_step(&mut c, &prices, config.fee_pct);
            check_levels(&mut c, config, &prices, filters);
        }
        let orders = prices.len() - 1;
        if let Some(max) = filters.max_num_orders.filter(|m| orders > *m as usize) {
            c.push(
                "range.levels",
                Rule::TooManyOrders,
                format!("range.levels = {}", range.levels),
                Some(format!("{orders} open orders, MAX_NUM_ORDERS {max}")),
            );
        }
    }
    if let Some(free) = free_quote.filter(|f| config.quote_budget > *f) {
        c.push(
            "quote_budget",
            Rule::BudgetExceedsBalance,
            format!("quote_budget = {}", config.quote_budget),
            Some(format!(
                "free {free} {q}, short by {}",
                (config.quote_budget - free).get().normalize(),
                q = rules.quote_asset
            )),
        );
    }
    c.finish()
}

/// Each buy level's first slice, and the sell of it net of the fee one level up, must be an
/// order the filters take.
fn check_levels(
    c: &mut Checks,
    config: &StrategyConfig,
    prices: &[Price],
    filters: &SymbolFilters,
) {
    let cells = Decimal::from(prices.len() as u64 - 1);
    let per_level = config.quote_budget.get() / cells;
    let (min_p, max_p) = (filters.price.min_price, filters.price.max_price);
    for (w, k) in prices.windows(2).zip(1u16..) {
        let (buy, sell) = (w[0], w[1]);
        if min_p.is_positive() && buy < min_p {
            let subject = format!("B{k} at {buy}");
            c.push(
                "range.lower",
                Rule::BelowMinPrice,
                subject,
                Some(format!("minPrice {min_p}")),
            );
        }
        if max_p.is_positive() && sell > max_p {
            let subject = format!("S{} at {sell}", k + 1);
            c.push(
                "range.upper",
                Rule::AboveMaxPrice,
                subject,
                Some(format!("maxPrice {max_p}")),
            );
        }
        let qty = filters.round_qty_down(Qty::new(per_level / buy.get()));
        let net = filters.round_qty_down(qty.scale(config.fee_pct.down_factor()));
        let max_q = filters.lot.max_qty;
        if max_q.is_positive() && qty > max_q {
            let subject = format!("B{k} at {buy}, qty {qty}");
            c.push(
                "quote_budget",
                Rule::AboveMaxQty,
                subject,
                Some(format!("maxQty {max_q}")),
            );
        }
        for (slot, price, q) in [
            (format!("B{k}"), buy, qty),
            (format!("S{}", k + 1), sell, net),
        ] {
            if !placeable(q, price, filters) {
                let min = filters.min_qty_at(price);
                c.push(
                    "quote_budget",
                    Rule::BelowMinNotional,
                    format!("{slot} at {price}, qty {q}"),
                    Some(format!(
                        "quote per level {} buys {qty} at {buy}; the smallest order at {price} \
                         is {min} (minQty and the notional minimum)",
                        per_level.round_dp(8).normalize()
                    )),
                );
            }
        }
    }
}
