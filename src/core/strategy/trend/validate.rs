//! Trend validation (`.spec/strategies.md` §8): the static rules, then the feasibility
//! preflight — a buy of the whole budget at the start price must be an order the filters
//! take. The risk-sized entry depends on the ATR, known only from the candles: when it is
//! below the filters' minimum the plan skips that signal.

use super::{TrendConfig, TrendEntry};
use crate::core::filters::SymbolRules;
use crate::core::money::{Price, Qty, Quote};
use crate::core::strategy::config::{ConfigError, Rule, StrategyConfig};
use crate::core::strategy::preflight::{order_fits, symbol_and_budget};
use crate::core::strategy::validate::Checks;
use rust_decimal::Decimal;

/// Checks every static rule and returns all broken ones.
pub fn validate(config: &StrategyConfig, t: &TrendConfig) -> Result<(), Vec<ConfigError>> {
    let mut c = Checks::default();
    c.positive("quote_budget", config.quote_budget.get());
    if t.channel < 2 {
        let subject = format!("trend.channel = {}", t.channel);
        c.push("trend.channel", Rule::AtLeastTwo, subject, None);
    }
    c.positive("trend.atr", Decimal::from(t.atr));
    c.positive("trend.atr_stop", t.atr_stop);
    c.pct_between_0_and_100("trend.risk_pct", t.risk_pct);
    c.pct_between_0_and_100("exit_slippage_pct", config.exit_slippage_pct);
    let averages_ok = match (t.entry, t.fast, t.slow) {
        (TrendEntry::MaCross, Some(fast), Some(slow)) => fast >= 1 && fast < slow,
        (TrendEntry::Breakout, None, None) => true,
        _ => false,
    };
    if !averages_ok {
        let show = |v: Option<u16>| v.map_or("none".to_string(), |v| v.to_string());
        let subject = format!(
            "trend.entry = {:?}, fast = {}, slow = {}",
            t.entry,
            show(t.fast),
            show(t.slow)
        );
        c.push("trend.fast", Rule::TrendMovingAverages, subject, None);
    }
    c.fee(config.fee_pct);
    c.finish()
}

/// The feasibility preflight at the start price `anchor`. Run [`validate`] first.
pub fn validate_for_market(
    config: &StrategyConfig,
    _t: &TrendConfig,
    rules: Option<&SymbolRules>,
    anchor: Price,
    free_quote: Option<Quote>,
) -> Result<(), Vec<ConfigError>> {
    let mut c = Checks::default();
    if let Some(rules) = symbol_and_budget(&mut c, config, rules, anchor, free_quote) {
        let filters = &rules.filters;
        let price = filters.round_price_down(anchor);
        if price.is_positive() {
            let qty = Qty::new(config.quote_budget.get() / price.get());
            let what = format!("entry at {price}");
            order_fits(&mut c, "quote_budget", &what, qty, price, filters);
        }
    }
    c.finish()
}
