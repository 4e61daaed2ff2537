//! The optional `[volatility]` table (`.spec/strategies.md` §12): volatility sizing and
//! spacing for every strategy. Kept with the config so reading a file needs no strategy code;
//! what it does is `core::strategy::volatility`.

use crate::core::indicators::VolMeasure;
use crate::core::money::Pct;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `[volatility]`: factor = clamp(volatility / reference, min_factor, max_factor); spacing
/// × factor, order size × 1 / factor (never above the budget).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolatilityConfig {
    /// `atr` (default): ATR / close; `stdev`: standard deviation of close-to-close returns.
    #[serde(default)]
    pub measure: VolMeasure,
    /// Candles of the measure (at least 2).
    pub window: u16,
    /// The volatility per candle, percent, at which the strategy trades exactly as
    /// configured (factor 1).
    pub reference_pct: Pct,
    /// Lowest factor (default 0.5): the tightest spacing in a calm market.
    #[serde(default = "default_min_factor")]
    pub min_factor: Decimal,
    /// Highest factor (default 2): the widest spacing and smallest size in a wild market.
    #[serde(default = "default_max_factor")]
    pub max_factor: Decimal,
    /// The factor frozen when a grid basket anchored (written by the caller that opens the
    /// basket, journalled with the basket's config; a strategy file must leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<Decimal>,
}

fn default_min_factor() -> Decimal {
    Decimal::new(5, 1)
}

fn default_max_factor() -> Decimal {
    Decimal::TWO
}
