//! The strategy seam (`.spec/strategies.md`): which strategy plans a basket, and the three
//! entry points every caller goes through — [`plan`], [`validate`], [`validate_for_market`] —
//! plus reading a strategy file ([`from_toml_str`]).
//!
//! **Decision**: an enum, not a trait object. The configuration is frozen into the basket and
//! journalled as JSON, so the set of strategies must be closed and serializable anyway; a
//! `match` here is the registration. Adding a strategy is one module under `core::strategy`
//! (its config, validation and pure plan) plus one variant and one arm per function below.
//!
//! The shared keys (`symbol`, `quote_budget`, `fee_pct`, `exit_slippage_pct`) stay in
//! [`StrategyConfig`], so the backtester, the bot, buy-and-hold and the reports read them
//! whatever the strategy; the basket grid's own keys sit there too at inert values for
//! other strategies (they never reach that strategy's plan).

use crate::core::basket::Basket;
use crate::core::fill::Fill;
use crate::core::filters::SymbolRules;
use crate::core::money::{Price, Quote};
use crate::core::strategy::config::{toml_text, ConfigError, StrategyConfig};
use crate::core::strategy::plan::{self as basket_plan, Market, Plan};
use crate::core::strategy::range::{self, RangeConfig};
use crate::core::strategy::validate as basket_validate;
use serde::{Deserialize, Serialize};

/// The strategy of a basket, with its own configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    /// The seed's basket grid (`.spec/strategy.md`); its keys are the rest of the config.
    #[default]
    Basket,
    /// The classic range grid (`core::strategy::range`).
    Range(RangeConfig),
}

impl StrategyKind {
    /// True for the default basket grid (serialization leaves it out).
    pub fn is_basket(&self) -> bool {
        matches!(self, StrategyKind::Basket)
    }

    /// The name written as `kind = "…"` in a strategy file.
    pub fn name(&self) -> &'static str {
        match self {
            StrategyKind::Basket => "basket",
            StrategyKind::Range(_) => range::KIND,
        }
    }
}

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
    match &config.kind {
        StrategyKind::Basket => basket_plan::plan(config, basket, fills, market, rules),
        StrategyKind::Range(r) => range::plan(config, r, basket, fills, market, rules),
    }
}

/// Every static rule of the config's strategy.
pub fn validate(config: &StrategyConfig) -> Result<(), Vec<ConfigError>> {
    match &config.kind {
        StrategyKind::Basket => basket_validate::validate(config),
        StrategyKind::Range(r) => range::validate(config, r),
    }
}

/// The strategy's feasibility preflight against the symbol's rules, a start price and the
/// free quote balance.
pub fn validate_for_market(
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
    }
}

/// Reads a strategy file: `kind` (default `"basket"`) picks the strategy, whose own reader
/// then reads the whole file strictly (unknown keys are errors).
pub fn from_toml_str(text: &str) -> Result<StrategyConfig, ConfigError> {
    #[derive(Deserialize)]
    struct Peek {
        #[serde(default)]
        kind: Option<String>,
    }
    let peek: Peek = toml_text::from_str(text)?;
    match peek.kind.as_deref() {
        None | Some("basket") => toml_text::from_str(text),
        Some(range::KIND) => range::from_toml_str(text),
        Some(other) => Err(ConfigError::Toml {
            path: "kind".into(),
            message: format!("unknown strategy `{other}`, expected `basket` or `range`"),
            line: None,
            column: None,
        }),
    }
}
