//! The traded pair as the dashboard shows it.

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
}

impl Pair {
    /// The pair of a symbol's exchange rules.
    pub fn from_rules(rules: &SymbolRules) -> Self {
        Self {
            symbol: rules.symbol.clone(),
            base: rules.base_asset.clone(),
            quote: rules.quote_asset.clone(),
        }
    }
}
