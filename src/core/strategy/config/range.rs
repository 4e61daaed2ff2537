//! The range grid's configuration (`.spec/strategies.md` §2): the `[range]` table and the
//! reading of a `kind = "range"` strategy file. Kept in the config module (with the kind
//! enum), so that reading a configuration needs no strategy code; the strategy itself is
//! `core::strategy::range`.

use super::{
    defaults, toml_text, ConfigError, LevelsConfig, StrategyConfig, StrategyKind, TrailDown,
};
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
}

/// Reads a `kind = "range"` strategy file strictly: the shared keys (`symbol`,
/// `quote_budget`, `fee_pct`, `exit_slippage_pct`) and the `[range]` table. A basket grid key
/// is an unknown key here.
pub fn from_toml_str(text: &str) -> Result<StrategyConfig, ConfigError> {
    let f: RangeFile = toml_text::from_str(text)?;
    Ok(StrategyConfig {
        symbol: f.symbol,
        quote_budget: f.quote_budget,
        // The basket grid's keys, inert: no levels, and no reanchor, restart or follow, so
        // `core::cycle` never moves or restarts a range grid (a stop loss ends it).
        levels: LevelsConfig::Explicit(Vec::new()),
        max_open_buys: None,
        tp1_pct: defaults::tp1_pct(),
        tp1_share: defaults::tp1_share(),
        tp2_pct: defaults::tp2_pct(),
        tp2_share: defaults::tp2_share(),
        tp_decay_pct_per_level: defaults::tp_decay_pct_per_level(),
        tp_min_pct: defaults::tp_min_pct(),
        trail_activation_pct: defaults::trail_activation_pct(),
        trail_delta_pct: defaults::trail_delta_pct(),
        breakeven_after_tp1: false,
        hard_stop_pct: defaults::hard_stop_pct(),
        extension: None,
        reanchor_up_pct: defaults::reanchor_up_pct(),
        reanchor_cooldown_secs: defaults::reanchor_cooldown_secs(),
        auto_reanchor: false,
        trail_up_max_pct: None,
        trail_down: TrailDown::Stop,
        trail_down_max_pct: None,
        auto_restart: false,
        exit_slippage_pct: f.exit_slippage_pct,
        fee_pct: f.fee_pct,
        kind: StrategyKind::Range(f.range),
    })
}
