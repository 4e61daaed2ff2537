//! The range grid's configuration (`.spec/strategies.md` §2): the `[range]` table and the
//! reading of a `kind = "range"` strategy file. Kept in the config module (with the kind
//! enum), so that reading a configuration needs no strategy code; the strategy itself is
//! `core::strategy::range`.

use super::{defaults, toml_text, with_inert_grid_keys, ConfigError, StrategyConfig, StrategyKind};
use crate::core::money::{Pct, Price, Quote};
use crate::core::symbol::Symbol;
use serde::{Deserialize, Serialize};

/// `kind = "range"` in a strategy file.
pub const KIND: &str = "range";

/// How the level prices are spread between `lower` and `upper`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Spacing {
    /// Equal price steps: `(upper − lower) / (levels − 1)`.
    #[default]
    Arithmetic,
    /// Equal ratios: each level is the previous one times `(upper / lower)^(1 / (levels − 1))`.
    Geometric,
}

/// The `[range]` table of a range grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeConfig {
    /// Lowest level price.
    pub lower: Price,
    /// Highest level price.
    pub upper: Price,
    /// Number of level prices, `lower` and `upper` included (at least 2).
    pub levels: u16,
    /// Spreading of the levels (default arithmetic).
    #[serde(default)]
    pub spacing: Spacing,
    /// Realised grid profit raises the slice of the next buys (default off).
    #[serde(default)]
    pub reinvest: bool,
    /// Sell everything and end the grid once the price falls to this (below `lower`).
    #[serde(default)]
    pub stop_loss: Option<Price>,
}

/// A range grid strategy file, with every key it accepts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeFile {
    #[allow(dead_code)] // read by the seam to get here
    kind: String,
    symbol: Symbol,
    quote_budget: Quote,
    #[serde(default = "defaults::fee_pct")]
    fee_pct: Pct,
    #[serde(default = "defaults::exit_slippage_pct")]
    exit_slippage_pct: Pct,
    range: RangeConfig,
    #[serde(default)]
    volatility: Option<super::volatility::VolatilityConfig>,
}

/// Reads a `kind = "range"` strategy file strictly: the shared keys (`symbol`,
/// `quote_budget`, `fee_pct`, `exit_slippage_pct`) and the `[range]` table. A basket grid key
/// is an unknown key here.
pub fn from_toml_str(text: &str) -> Result<StrategyConfig, ConfigError> {
    let f: RangeFile = toml_text::from_str(text)?;
    Ok(with_inert_grid_keys(
        f.symbol,
        f.quote_budget,
        f.fee_pct,
        f.exit_slippage_pct,
        StrategyKind::Range(f.range),
        f.volatility,
    ))
}
