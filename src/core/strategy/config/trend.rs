//! The trend following strategy's configuration (`.spec/strategies.md` §8): the `[trend]`
//! table and the reading of a `kind = "trend"` file. The strategy itself is
//! `core::strategy::trend`.

use super::{defaults, toml_text, with_inert_grid_keys, ConfigError, StrategyConfig, StrategyKind};
use crate::core::money::{Pct, Quote};
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `kind = "trend"` in a strategy file.
pub const KIND: &str = "trend";

/// What opens a position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendEntry {
    /// A close above the highest high of the `channel` candles before it.
    #[default]
    Breakout,
    /// The fast moving average of closes above the slow one.
    MaCross,
}

/// The `[trend]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendConfig {
    /// Entry signal (default breakout).
    #[serde(default)]
    pub entry: TrendEntry,
    /// Candles of the channel: the breakout level, and the high the trailing stop hangs from.
    pub channel: u16,
    /// Fast moving average, candles (`entry = "ma_cross"` only).
    #[serde(default)]
    pub fast: Option<u16>,
    /// Slow moving average, candles (`entry = "ma_cross"` only).
    #[serde(default)]
    pub slow: Option<u16>,
    /// Candles of the average true range (default 14).
    #[serde(default = "default_atr")]
    pub atr: u16,
    /// The trailing stop sits this many ATRs below the channel's highest high (a chandelier
    /// exit); the same distance below the entry sizes the position.
    pub atr_stop: Decimal,
    /// Share of `quote_budget` a trade loses if its stop is hit at entry, percent: the size is
    /// `quote_budget × risk_pct / (atr_stop × ATR)`, capped by `quote_budget`.
    pub risk_pct: Pct,
}

fn default_atr() -> u16 {
    14
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrendFile {
    #[allow(dead_code)] // read by the seam to get here
    kind: String,
    symbol: Symbol,
    quote_budget: Quote,
    #[serde(default = "defaults::fee_pct")]
    fee_pct: Pct,
    #[serde(default = "defaults::exit_slippage_pct")]
    exit_slippage_pct: Pct,
    trend: TrendConfig,
    #[serde(default)]
    volatility: Option<super::volatility::VolatilityConfig>,
}

/// Reads a `kind = "trend"` file strictly: the shared keys and the `[trend]` table; any
/// other key is an error.
pub fn from_toml_str(text: &str) -> Result<StrategyConfig, ConfigError> {
    let f: TrendFile = toml_text::from_str(text)?;
    Ok(with_inert_grid_keys(
        f.symbol,
        f.quote_budget,
        f.fee_pct,
        f.exit_slippage_pct,
        StrategyKind::Trend(f.trend),
        f.volatility,
    ))
}
