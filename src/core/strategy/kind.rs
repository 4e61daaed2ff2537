//! The strategy seam (`.spec/strategies.md`): the entry points every caller goes
//! through — [`plan`], [`validate`], [`validate_for_market`], [`indicator_spec`] — dispatched on the config's
//! [`StrategyKind`] (defined with the config in `config.rs`, read by
//! `StrategyConfig::from_toml_str`, so reading a file needs no strategy code).
//!
//! **Decision**: an enum, not a trait object. The configuration is frozen into the basket and
//! journalled as JSON, so the set of strategies must be closed and serializable anyway; a
//! `match` here is the registration. Adding a strategy is one module under `core::strategy`
//! (validation and pure plan; its config table beside `config/range.rs`) plus one variant of
//! [`StrategyKind`] and one arm per function below.
//!
//! The shared keys (`symbol`, `quote_budget`, `fee_pct`, `exit_slippage_pct`) stay in
//! [`StrategyConfig`], so the backtester, the bot, buy-and-hold and the reports read them
//! whatever the strategy; the basket grid's own keys sit there too at inert values for
//! other strategies (they never reach that strategy's plan).

use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::SymbolRules;
use crate::core::indicators::IndicatorSpec;
use crate::core::money::{Price, Quote};
pub use crate::core::strategy::config::StrategyKind;
use crate::core::strategy::config::{ConfigError, StrategyConfig};
use crate::core::strategy::plan::{self as basket_plan, Market, Plan};
use crate::core::strategy::validate as basket_validate;
use crate::core::strategy::{mean_reversion, range, trend, volatility};

/// Plans one basket with its strategy (see `core::strategy::plan::plan` for the contract
/// every strategy keeps: pure, deterministic, orders inside the filters, sells within the
/// position, no buy at or above `last`, one order per slot, a replan band).
pub fn plan(
    config: &StrategyConfig,
    basket: &Basket,
    fills: &[Fill],
    market: &Market,
    rules: &SymbolRules,
) -> Plan {
    let effective = volatility::effective(config, market);
    let config = effective.as_ref();
    match &config.kind {
        StrategyKind::Basket => basket_plan::plan(config, basket, fills, market, rules),
        StrategyKind::Range(r) => range::plan(config, r, basket, fills, market, rules),
        StrategyKind::MeanReversion(m) => {
            mean_reversion::plan(config, m, basket, fills, market, rules)
        }
        StrategyKind::Trend(t) => trend::plan(config, t, basket, fills, market, rules),
    }
}

/// Every static rule of the config's strategy, and of its `[volatility]` table (the
/// strategy's rules again at both extreme factors).
pub fn validate(config: &StrategyConfig) -> Result<(), Vec<ConfigError>> {
    let mut errors = strategy_validate(config).err().unwrap_or_default();
    errors.extend(volatility::validate(config, strategy_validate));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn strategy_validate(config: &StrategyConfig) -> Result<(), Vec<ConfigError>> {
    match &config.kind {
        StrategyKind::Basket => basket_validate::validate(config),
        StrategyKind::Range(r) => range::validate(config, r),
        StrategyKind::MeanReversion(m) => mean_reversion::validate(config, m),
        StrategyKind::Trend(t) => trend::validate(config, t),
    }
}

/// The strategy's feasibility preflight against the symbol's rules, a start price and the
/// free quote balance; with `[volatility]`, at both extreme factors too (the smallest orders
/// must still pass the filters).
pub fn validate_for_market(
    config: &StrategyConfig,
    rules: Option<&SymbolRules>,
    anchor: Price,
    free_quote: Option<Quote>,
) -> Result<(), Vec<ConfigError>> {
    let preflight = |c: &StrategyConfig| strategy_for_market(c, rules, anchor, free_quote);
    let mut errors = preflight(config).err().unwrap_or_default();
    if let Some(v) = &config.volatility {
        errors.extend(volatility::at_extremes(config, v, preflight));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn strategy_for_market(
    config: &StrategyConfig,
    rules: Option<&SymbolRules>,
    anchor: Price,
    free_quote: Option<Quote>,
) -> Result<(), Vec<ConfigError>> {
    match &config.kind {
        StrategyKind::Basket => {
            basket_validate::validate_for_market(config, rules, anchor, free_quote)
        }
        StrategyKind::Range(r) => range::validate_for_market(config, r, rules, anchor, free_quote),
        StrategyKind::MeanReversion(m) => {
            mean_reversion::validate_for_market(config, m, rules, anchor, free_quote)
        }
        StrategyKind::Trend(t) => trend::validate_for_market(config, t, rules, anchor, free_quote),
    }
}

/// The indicators the strategy reads from `Market::indicators` (with `[volatility]`, its
/// measure too); `None` for a strategy that reads none (the grids without it), whose callers then feed nothing and replan only on their band.
/// How a caller feeds them: `core::indicators` and `.spec/strategies.md` §6.
pub fn indicator_spec(config: &StrategyConfig) -> Option<IndicatorSpec> {
    let own = match &config.kind {
        StrategyKind::Basket | StrategyKind::Range(_) => None,
        StrategyKind::MeanReversion(m) => Some(mean_reversion::indicator_spec(m)),
        StrategyKind::Trend(t) => Some(trend::indicator_spec(t)),
    };
    match (own, &config.volatility) {
        (own, Some(_)) => Some(volatility::with_volatility(config, own.unwrap_or_default())),
        (own, None) => own,
    }
}
