//! The checks every one-position strategy's feasibility preflight shares (mean reversion,
//! trend): the rules are the symbol's, it trades and takes LIMIT orders, the start price is
//! positive, the budget fits the free quote, and a given order passes the price and
//! quantity filters. (The range grid's preflight, older, spells the same checks out itself.)

use crate::core::filters::{SymbolFilters, SymbolRules, SymbolStatus};
use crate::core::money::{Price, Qty, Quote};
use crate::core::order::OrderType;
use crate::core::strategy::config::{Rule, StrategyConfig};
use crate::core::strategy::round::sellable;
use crate::core::strategy::validate::Checks;

/// The symbol and budget checks; returns the rules when the order checks can go on.
pub(crate) fn symbol_and_budget<'a>(
    c: &mut Checks,
    config: &StrategyConfig,
    rules: Option<&'a SymbolRules>,
    anchor: Price,
    free_quote: Option<Quote>,
) -> Option<&'a SymbolRules> {
    let symbol = &config.symbol;
    let subject = || format!("symbol = {symbol}");
    let Some(rules) = rules.filter(|r| r.symbol == *symbol) else {
        let detail = rules.map(|r| format!("the rules given are for {}", r.symbol));
        c.push("symbol", Rule::UnknownSymbol, subject(), detail);
        return None;
    };
    if rules.status != SymbolStatus::Trading {
        let detail = Some(format!("status {:?}", rules.status));
        c.push("symbol", Rule::NotTrading, subject(), detail);
    }
    if !rules.order_types.contains(&OrderType::Limit) {
        let detail = Some("LIMIT is not in orderTypes".to_string());
        c.push("symbol", Rule::OrderTypeNotAllowed, subject(), detail);
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
    if !anchor.is_positive() {
        c.push("anchor", Rule::Positive, format!("anchor = {anchor}"), None);
        return None;
    }
    Some(rules)
}

/// `what` (an order: `"entry at 4.1"`) of `qty` at `price` must pass `minQty`, the notional
/// minimum and `maxQty`; `key` is the key to change.
pub(crate) fn order_fits(
    c: &mut Checks,
    key: &str,
    what: &str,
    qty: Qty,
    price: Price,
    filters: &SymbolFilters,
) {
    let qty = filters.round_qty_down(qty);
    if !sellable(qty, price, filters) {
        c.push(
            key,
            Rule::BelowMinNotional,
            format!("{what}, qty {qty}"),
            Some(format!(
                "the smallest order at {price} is {} (minQty and the notional minimum)",
                filters.min_qty_at(price)
            )),
        );
    }
    let max_q = filters.lot.max_qty;
    if max_q.is_positive() && qty > max_q {
        let detail = Some(format!("maxQty {max_q}"));
        c.push(key, Rule::AboveMaxQty, format!("{what}, qty {qty}"), detail);
    }
}
