//! The mean reversion strategy's configuration (`.spec/strategies.md` §7): the
//! `[mean_reversion]` table and the reading of a `kind = "mean_reversion"` file. The strategy
//! itself is `core::strategy::mean_reversion`.

use super::{defaults, toml_text, with_inert_grid_keys, ConfigError, StrategyConfig, StrategyKind};
use crate::core::money::{Pct, Quote};
use crate::core::symbol::Symbol;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `kind = "mean_reversion"` in a strategy file.
pub const KIND: &str = "mean_reversion";

/// The `[mean_reversion]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeanReversionConfig {
    /// Candles of the rolling mean and standard deviation of closes (at least 2).
    pub window: u16,
    /// The entry buy rests this many standard deviations below the mean (the lower
    /// Bollinger band; a z-score of `−entry_z`).
    pub entry_z: Decimal,
    /// Sell at most this far above the entry VWAP, percent, when that comes before the mean.
    /// `None` (default): sell at the mean.
    #[serde(default)]
    pub take_profit_pct: Option<Pct>,
    /// Sell everything once the price falls this far below the entry VWAP, percent.
    pub stop_loss_pct: Pct,
    /// No new entry for this long after a stop sold, seconds (default 0).
    #[serde(default)]
    pub cooldown_secs: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeanReversionFile {
    #[allow(dead_code)] // read by the seam to get here
    kind: String,
    symbol: Symbol,
    quote_budget: Quote,
    #[serde(default = "defaults::fee_pct")]
    fee_pct: Pct,
    #[serde(default = "defaults::exit_slippage_pct")]
    exit_slippage_pct: Pct,
    mean_reversion: MeanReversionConfig,
    #[serde(default)]
    volatility: Option<super::volatility::VolatilityConfig>,
}

/// Reads a `kind = "mean_reversion"` file strictly: the shared keys and the
/// `[mean_reversion]` table; any other key is an error.
pub fn from_toml_str(text: &str) -> Result<StrategyConfig, ConfigError> {
    let f: MeanReversionFile = toml_text::from_str(text)?;
    Ok(with_inert_grid_keys(
        f.symbol,
        f.quote_budget,
        f.fee_pct,
        f.exit_slippage_pct,
        StrategyKind::MeanReversion(f.mean_reversion),
        f.volatility,
    ))
}
