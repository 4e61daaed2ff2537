//! The traded pair as the dashboard shows it.

use super::format::Precision;
use crate::core::filters::SymbolRules;
use crate::core::symbol::{Asset, Symbol};

/// The traded pair: its name and its two assets (commissions are booked by asset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The symbol (`FILUSDT`).
    pub symbol: Symbol,
    /// Base asset (`FIL`).
    pub base: Asset,
    /// Quote asset (`USDT`).
    pub quote: Asset,
    /// The symbol's exchange rules: tick and step for the shown decimals, filters for the
    /// levels drawn on the chart. `None` (tests, tools) shows 8 decimals and no plan lines.
    pub rules: Option<SymbolRules>,
}

impl Pair {
    /// The pair of a symbol's exchange rules.
    pub fn from_rules(rules: &SymbolRules) -> Self {
        Self {
            symbol: rules.symbol.clone(),
            base: rules.base_asset.clone(),
            quote: rules.quote_asset.clone(),
            rules: Some(rules.clone()),
        }
    }

    /// The decimals prices and quantities are shown with.
    pub fn precision(&self) -> Precision {
        self.rules
            .as_ref()
            .map_or_else(Precision::default, |r| Precision::of(&r.filters))
    }
}
